<?php
/**
 * Without the Akismet plugin: check each new comment and file it; send moderators' corrections.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

class Comment_Moderation_Checker {
	const META_GUID   = 'comment_moderation_guid';
	const META_STATUS = 'comment_moderation_status';

	/** The last check's result, kept until the comment is inserted and has an id. */
	private static $last = null;

	public static function init() {
		add_filter( 'pre_comment_approved', array( __CLASS__, 'approved' ), 10, 2 );
		add_action( 'comment_post', array( __CLASS__, 'remember' ), 10, 1 );
		add_action( 'transition_comment_status', array( __CLASS__, 'corrected' ), 10, 3 );
	}

	/**
	 * WordPress' comment fields, as the Akismet plugin sends them.
	 */
	public static function fields( array $comment ) {
		$fields = array(
			'comment_type'         => empty( $comment['comment_type'] ) ? 'comment' : $comment['comment_type'],
			'comment_author'       => isset( $comment['comment_author'] ) ? $comment['comment_author'] : '',
			'comment_author_email' => isset( $comment['comment_author_email'] ) ? $comment['comment_author_email'] : '',
			'comment_author_url'   => isset( $comment['comment_author_url'] ) ? $comment['comment_author_url'] : '',
			'comment_content'      => isset( $comment['comment_content'] ) ? $comment['comment_content'] : '',
			'comment_parent'       => isset( $comment['comment_parent'] ) ? (string) $comment['comment_parent'] : '',
			'permalink'            => isset( $comment['comment_post_ID'] ) ? get_permalink( $comment['comment_post_ID'] ) : '',
			'user_ip'              => isset( $comment['comment_author_IP'] ) ? $comment['comment_author_IP'] : '',
			'user_agent'           => isset( $comment['comment_agent'] ) ? $comment['comment_agent'] : '',
			'referrer'             => isset( $_SERVER['HTTP_REFERER'] ) ? wp_unslash( $_SERVER['HTTP_REFERER'] ) : '',
			'blog_lang'            => get_locale(),
			'blog_charset'         => get_option( 'blog_charset' ),
		);
		return array_map( 'strval', $fields );
	}

	/**
	 * Where a verdict files a comment: 'spam', 0 (Pending), 'trash', or WordPress' own choice.
	 */
	public static function filing( $response, $approved ) {
		if ( is_wp_error( $response ) || 200 !== (int) wp_remote_retrieve_response_code( $response ) ) {
			return 0; // No verdict: hold for a moderator, never publish unchecked.
		}
		$body    = trim( (string) wp_remote_retrieve_body( $response ) );
		$status  = (string) wp_remote_retrieve_header( $response, 'x-moderation-status' );
		$reasons = array_filter( explode( ',', (string) wp_remote_retrieve_header( $response, 'x-moderation-reasons' ) ) );
		if ( 'false' === $body ) {
			return $approved;
		}
		if ( 'true' !== $body ) {
			return 0;
		}
		if ( in_array( 'spam', $reasons, true ) ) {
			return 'spam';
		}
		if ( 'rejected' === $status ) {
			return 'trash';
		}
		return 0; // Held (toxicity, a suspect word, pre-moderation): Pending, not Spam.
	}

	public static function approved( $approved, $commentdata ) {
		if ( 'spam' === $approved || 'trash' === $approved ) {
			return $approved;
		}
		$response   = Comment_Moderation_Client::call( 'comment-check', self::fields( (array) $commentdata ) );
		$filed      = self::filing( $response, $approved );
		self::$last = array(
			'guid'   => is_wp_error( $response ) ? '' : (string) wp_remote_retrieve_header( $response, 'x-akismet-guid' ),
			'status' => is_wp_error( $response ) ? 'error' : (string) wp_remote_retrieve_header( $response, 'x-moderation-status' ),
		);
		// A moderator's own comment is never held by the service's verdict alone.
		if ( 0 === $filed && current_user_can( 'moderate_comments' ) ) {
			return $approved;
		}
		return $filed;
	}

	public static function remember( $comment_id ) {
		if ( null === self::$last ) {
			return;
		}
		if ( '' !== self::$last['guid'] ) {
			update_comment_meta( $comment_id, self::META_GUID, self::$last['guid'] );
		}
		update_comment_meta( $comment_id, self::META_STATUS, self::$last['status'] );
		self::$last = null;
	}

	/**
	 * A moderator's "Spam" or "Not spam": sent back with the guid, so the original is found.
	 */
	public static function corrected( $new_status, $old_status, $comment ) {
		if ( 'spam' === $new_status && 'spam' !== $old_status ) {
			$call = 'submit-spam';
		} elseif ( 'spam' === $old_status && 'spam' !== $new_status && 'trash' !== $new_status && 'delete' !== $new_status ) {
			$call = 'submit-ham';
		} else {
			return;
		}
		$fields         = self::fields( (array) get_comment( $comment->comment_ID, ARRAY_A ) );
		$fields['guid'] = (string) get_comment_meta( $comment->comment_ID, self::META_GUID, true );
		Comment_Moderation_Client::call( $call, $fields );
	}
}
