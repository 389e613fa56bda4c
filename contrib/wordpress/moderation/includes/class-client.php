<?php
/**
 * The service's Akismet 1.1 protocol: one form-encoded POST per call, the key in the body.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

class Comment_Moderation_Client {
	const OPTION_URL = 'comment_moderation_url';
	const OPTION_KEY = 'comment_moderation_key';
	// The service waits for its workers' verdict; the Akismet plugin waits 15 s too.
	const TIMEOUT = 15;

	public static function url() {
		return untrailingslashit( (string) get_option( self::OPTION_URL, '' ) );
	}

	public static function key() {
		return (string) get_option( self::OPTION_KEY, '' );
	}

	public static function configured() {
		return '' !== self::url() && 12 === strlen( self::key() );
	}

	/**
	 * POST $fields to /1.1/$call; the WordPress response array, or a WP_Error.
	 */
	public static function call( $call, array $fields ) {
		$fields = array_merge(
			array(
				'api_key' => self::key(),
				'blog'    => get_option( 'home' ),
			),
			$fields
		);
		return wp_remote_post(
			self::url() . '/1.1/' . $call,
			array(
				'timeout' => self::TIMEOUT,
				'body'    => $fields,
				'headers' => array(
					'Content-Type' => 'application/x-www-form-urlencoded; charset=' . get_option( 'blog_charset' ),
					'User-Agent'   => 'WordPress/' . get_bloginfo( 'version' ) . ' | Comment-Moderation/' . COMMENT_MODERATION_VERSION,
				),
			)
		);
	}

	/**
	 * 'valid', 'invalid' or an error message: what "Test connection" shows.
	 */
	public static function verify() {
		$response = self::call( 'verify-key', array( 'key' => self::key() ) );
		if ( is_wp_error( $response ) ) {
			return $response->get_error_message();
		}
		$body = trim( (string) wp_remote_retrieve_body( $response ) );
		return in_array( $body, array( 'valid', 'invalid' ), true ) ? $body : sprintf( 'HTTP %d: %s', wp_remote_retrieve_response_code( $response ), $body );
	}
}
