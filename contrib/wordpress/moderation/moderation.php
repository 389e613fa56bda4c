<?php
/**
 * Plugin Name:       Comment Moderation (self-hosted)
 * Description:       Checks comments with a self-hosted comment moderation service: spam goes to Spam, comments held for toxicity go to the Pending queue. Works beside the Akismet plugin (its calls go to the service) or instead of it.
 * Version:           1.0.0
 * Requires at least: 5.8
 * Requires PHP:      7.4
 * License:           GPL-2.0-or-later
 * Text Domain:       comment-moderation
 *
 * Two ways to run, chosen by what is installed:
 *
 * - Beside the Akismet plugin: every call the Akismet plugin makes to rest.akismet.com (or
 *   KEY.rest.akismet.com) goes to the service instead, through WordPress' `pre_http_request`
 *   filter, so its screens, stats and spam queue keep working. Akismet has no "hold": it files
 *   everything that is not ham as spam, and WordPress deletes spam after 15 days. So a comment
 *   the service held for anything but spam (toxicity, a suspect word) is moved back to Pending.
 * - Instead of it: this plugin checks each new comment itself (`pre_comment_approved`) and files
 *   it: spam → Spam, held → Pending, rejected for another reason → Trash, approved → as
 *   WordPress would. A service that does not answer holds the comment (Pending): never published
 *   unchecked. A moderator's "Spam" / "Not spam" is sent back (submit-spam / submit-ham, with the
 *   comment's guid), so the service learns from it.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'COMMENT_MODERATION_VERSION', '1.0.0' );
define( 'COMMENT_MODERATION_DIR', plugin_dir_path( __FILE__ ) );

require_once COMMENT_MODERATION_DIR . 'includes/class-client.php';
require_once COMMENT_MODERATION_DIR . 'includes/class-checker.php';
require_once COMMENT_MODERATION_DIR . 'includes/class-akismet-bridge.php';

if ( is_admin() ) {
	require_once COMMENT_MODERATION_DIR . 'includes/class-settings.php';
	Comment_Moderation_Settings::init();
}

add_action(
	'plugins_loaded',
	function () {
		if ( ! Comment_Moderation_Client::configured() ) {
			return;
		}
		if ( Comment_Moderation_Akismet_Bridge::akismet_active() ) {
			Comment_Moderation_Akismet_Bridge::init();
		} else {
			Comment_Moderation_Checker::init();
		}
	}
);
