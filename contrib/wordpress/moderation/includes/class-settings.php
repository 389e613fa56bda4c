<?php
/**
 * Settings → Comment Moderation: the service's URL, the key, and "Test connection".
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

class Comment_Moderation_Settings {
	const PAGE  = 'comment-moderation';
	const GROUP = 'comment_moderation';

	public static function init() {
		add_action( 'admin_menu', array( __CLASS__, 'menu' ) );
		add_action( 'admin_init', array( __CLASS__, 'register' ) );
		add_action( 'admin_post_comment_moderation_test', array( __CLASS__, 'test_connection' ) );
	}

	public static function menu() {
		add_options_page( 'Comment Moderation', 'Comment Moderation', 'manage_options', self::PAGE, array( __CLASS__, 'page' ) );
	}

	public static function register() {
		register_setting(
			self::GROUP,
			Comment_Moderation_Client::OPTION_URL,
			array(
				'type'              => 'string',
				'sanitize_callback' => array( __CLASS__, 'sanitize_url' ),
			)
		);
		register_setting(
			self::GROUP,
			Comment_Moderation_Client::OPTION_KEY,
			array(
				'type'              => 'string',
				'sanitize_callback' => array( __CLASS__, 'sanitize_key' ),
			)
		);
	}

	public static function sanitize_url( $value ) {
		$value = esc_url_raw( trim( (string) $value ), array( 'https', 'http' ) );
		return untrailingslashit( $value );
	}

	public static function sanitize_key( $value ) {
		$value = strtolower( trim( (string) $value ) );
		if ( ! preg_match( '/^[a-z0-9]{12}$/', $value ) ) {
			add_settings_error( Comment_Moderation_Client::OPTION_KEY, 'bad-key', 'The key has 12 letters and digits (moderation keys create --site SITE --role akismet).' );
			return (string) get_option( Comment_Moderation_Client::OPTION_KEY, '' );
		}
		return $value;
	}

	public static function test_connection() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( 'Not allowed.' );
		}
		check_admin_referer( 'comment_moderation_test' );
		$result = Comment_Moderation_Client::verify();
		set_transient( 'comment_moderation_test', $result, 60 );
		wp_safe_redirect( admin_url( 'options-general.php?page=' . self::PAGE ) );
		exit;
	}

	public static function page() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$result = get_transient( 'comment_moderation_test' );
		delete_transient( 'comment_moderation_test' );
		$mode = Comment_Moderation_Akismet_Bridge::akismet_active() ? 'Beside the Akismet plugin: its calls go to this service.' : 'On its own: every new comment is checked by this service.';
		?>
		<div class="wrap">
			<h1>Comment Moderation</h1>
			<p><?php echo esc_html( $mode ); ?></p>
			<?php if ( false !== $result ) : ?>
				<div class="notice <?php echo 'valid' === $result ? 'notice-success' : 'notice-error'; ?>"><p>
					<?php echo esc_html( 'valid' === $result ? 'Connected: the service knows this key for this site.' : 'Not connected: ' . $result ); ?>
				</p></div>
			<?php endif; ?>
			<form method="post" action="options.php">
				<?php settings_fields( self::GROUP ); ?>
				<table class="form-table" role="presentation">
					<tr>
						<th scope="row"><label for="comment_moderation_url">Service URL</label></th>
						<td><input name="<?php echo esc_attr( Comment_Moderation_Client::OPTION_URL ); ?>" id="comment_moderation_url" type="url" class="regular-text" placeholder="https://moderation.example.org" value="<?php echo esc_attr( Comment_Moderation_Client::url() ); ?>"></td>
					</tr>
					<tr>
						<th scope="row"><label for="comment_moderation_key">Key</label></th>
						<td><input name="<?php echo esc_attr( Comment_Moderation_Client::OPTION_KEY ); ?>" id="comment_moderation_key" type="password" class="regular-text" autocomplete="off" value="<?php echo esc_attr( Comment_Moderation_Client::key() ); ?>">
						<p class="description">The 12-character Akismet key of <code>moderation keys create --site SITE --role akismet</code>; this site's address must be one of the site's origins.</p></td>
					</tr>
				</table>
				<?php submit_button(); ?>
			</form>
			<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
				<input type="hidden" name="action" value="comment_moderation_test">
				<?php wp_nonce_field( 'comment_moderation_test' ); ?>
				<?php submit_button( 'Test connection', 'secondary' ); ?>
			</form>
		</div>
		<?php
	}
}
