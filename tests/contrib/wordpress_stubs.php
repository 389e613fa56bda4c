<?php
/**
 * The few WordPress functions the plugin's checker calls, for running it under php-cli against a
 * real service: options from the environment, HTTP through PHP's own stream wrapper.
 */

define( 'ABSPATH', __DIR__ . '/' );

function plugin_dir_path( $file ) { return dirname( $file ) . '/'; }
function is_admin() { return false; }
function add_action() {}
function add_filter() {}
function untrailingslashit( $value ) { return rtrim( $value, '/\\' ); }
function get_bloginfo( $what ) { return '6.6'; }
function get_locale() { return 'en_US'; }
function get_permalink( $id ) { return 'https://blog.example/?p=' . $id; }
function current_user_can( $cap ) { return false; }
function is_wp_error( $thing ) { return $thing instanceof WP_Error; }
function get_option( $name, $default = false ) {
	$options = array(
		'comment_moderation_url' => getenv( 'SERVICE_URL' ),
		'comment_moderation_key' => getenv( 'SERVICE_KEY' ),
		'home'                   => 'https://blog.example',
		'blog_charset'           => 'UTF-8',
	);
	return isset( $options[ $name ] ) ? $options[ $name ] : $default;
}

class WP_Error {
	private $message;
	public function __construct( $code = '', $message = '' ) { $this->message = $message; }
	public function get_error_message() { return $this->message; }
}

function wp_remote_post( $url, $args ) {
	$headers = '';
	foreach ( $args['headers'] as $name => $value ) {
		$headers .= "$name: $value\r\n";
	}
	$context = stream_context_create(
		array(
			'http' => array(
				'method'        => 'POST',
				'header'        => $headers,
				'content'       => http_build_query( $args['body'], '', '&' ),
				'timeout'       => $args['timeout'],
				'ignore_errors' => true,
			),
		)
	);
	$body = @file_get_contents( $url, false, $context );
	if ( false === $body ) {
		return new WP_Error( 'http_request_failed', 'no answer' );
	}
	$code    = 0;
	$found   = array();
	foreach ( $http_response_header as $line ) {
		if ( preg_match( '#^HTTP/\S+ (\d+)#', $line, $m ) ) {
			$code = (int) $m[1];
		} elseif ( false !== strpos( $line, ':' ) ) {
			list( $name, $value )         = explode( ':', $line, 2 );
			$found[ strtolower( $name ) ] = trim( $value );
		}
	}
	return array( 'body' => $body, 'headers' => $found, 'response' => array( 'code' => $code ) );
}
function wp_remote_retrieve_body( $r ) { return $r['body']; }
function wp_remote_retrieve_response_code( $r ) { return $r['response']['code']; }
function wp_remote_retrieve_header( $r, $name ) { return isset( $r['headers'][ $name ] ) ? $r['headers'][ $name ] : ''; }
