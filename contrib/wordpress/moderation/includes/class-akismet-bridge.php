<?php
/**
 * Beside the Akismet plugin: its calls go to the service; held comments go to Pending, not Spam.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

class Comment_Moderation_Akismet_Bridge {
	/** The service's last comment-check answer: its status and reasons. */
	private static $last = null;

	public static function akismet_active() {
		return class_exists( 'Akismet' ) || defined( 'AKISMET_VERSION' );
	}

	public static function init() {
		add_filter( 'pre_http_request', array( __CLASS__, 'reroute' ), 10, 3 );
		// After the Akismet plugin's own filter, which files every "true" as spam.
		add_filter( 'pre_comment_approved', array( __CLASS__, 'refile' ), 99, 2 );
	}

	/**
	 * Send a request for rest.akismet.com (or KEY.rest.akismet.com) to the service instead.
	 */
	public static function reroute( $preempt, $args, $url ) {
		if ( false !== $preempt ) {
			return $preempt;
		}
		$host = wp_parse_url( $url, PHP_URL_HOST );
		if ( ! is_string( $host ) || ! preg_match( '/(^|\.)rest\.akismet\.com$/i', $host ) ) {
			return $preempt;
		}
		$path   = (string) wp_parse_url( $url, PHP_URL_PATH );
		$query  = wp_parse_url( $url, PHP_URL_QUERY );
		$target = Comment_Moderation_Client::url() . $path . ( $query ? '?' . $query : '' );
		// The legacy plugin puts the key in the host name: it travels on in the body.
		if ( preg_match( '/^([a-z0-9]{12})\.rest\.akismet\.com$/i', $host, $match ) ) {
			$key = strtolower( $match[1] );
			if ( is_array( $args['body'] ) && empty( $args['body']['api_key'] ) ) {
				$args['body']['api_key'] = $key;
			} elseif ( is_string( $args['body'] ) && false === strpos( $args['body'], 'api_key=' ) ) {
				$args['body'] .= ( '' === $args['body'] ? '' : '&' ) . 'api_key=' . rawurlencode( $key );
			}
		}
		$args['timeout'] = max( Comment_Moderation_Client::TIMEOUT, (int) ( isset( $args['timeout'] ) ? $args['timeout'] : 0 ) );
		$response        = wp_remote_request( $target, $args );
		if ( '/1.1/comment-check' === $path && ! is_wp_error( $response ) ) {
			self::$last = array(
				'status'  => (string) wp_remote_retrieve_header( $response, 'x-moderation-status' ),
				'reasons' => array_filter( explode( ',', (string) wp_remote_retrieve_header( $response, 'x-moderation-reasons' ) ) ),
			);
		}
		return $response;
	}

	/**
	 * Spam stays Spam; a comment held for anything else goes to Pending (Spam is deleted).
	 */
	public static function refile( $approved, $commentdata ) {
		$last       = self::$last;
		self::$last = null;
		if ( 'spam' !== $approved || null === $last || in_array( 'spam', $last['reasons'], true ) ) {
			return $approved;
		}
		if ( 'held' === $last['status'] ) {
			return 0;
		}
		if ( 'rejected' === $last['status'] ) {
			return 'trash';
		}
		return $approved;
	}
}
