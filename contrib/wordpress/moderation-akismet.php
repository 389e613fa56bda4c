<?php
/**
 * Plugin Name: Akismet via self-hosted moderation
 * Description: Sends the Akismet plugin's API calls to a self-hosted comment moderation service
 *              instead of rest.akismet.com. Install as a must-use plugin: copy this file to
 *              wp-content/mu-plugins/ and set MODERATION_AKISMET_URL in wp-config.php.
 * Version:     1.0
 *
 * The Akismet plugin hard-codes its host (rest.akismet.com, or KEY.rest.akismet.com). WordPress
 * lets a plugin answer any outgoing HTTP request itself through the `pre_http_request` filter:
 * this one re-sends Akismet's requests, unchanged, to the service and hands the plugin the
 * service's answer. Everything else WordPress fetches is left alone.
 *
 * wp-config.php:   define( 'MODERATION_AKISMET_URL', 'https://moderation.example.org' );
 * Akismet key:     the 12-character key of `moderation keys create --site blog --role akismet`
 *                  (Settings → Akismet Anti-spam → "Manually enter an API key").
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

add_filter(
	'pre_http_request',
	function ( $preempt, $args, $url ) {
		if ( false !== $preempt || ! defined( 'MODERATION_AKISMET_URL' ) ) {
			return $preempt;
		}
		$host = wp_parse_url( $url, PHP_URL_HOST );
		if ( ! is_string( $host ) || ! preg_match( '/(^|\.)rest\.akismet\.com$/i', $host ) ) {
			return $preempt;
		}
		$path   = (string) wp_parse_url( $url, PHP_URL_PATH );
		$query  = wp_parse_url( $url, PHP_URL_QUERY );
		$target = untrailingslashit( MODERATION_AKISMET_URL ) . $path . ( $query ? '?' . $query : '' );

		// A key in the host name (KEY.rest.akismet.com) travels on in the body as api_key.
		if ( preg_match( '/^([a-z0-9]{12})\.rest\.akismet\.com$/i', $host, $match ) ) {
			$key = strtolower( $match[1] );
			if ( is_array( $args['body'] ) && empty( $args['body']['api_key'] ) ) {
				$args['body']['api_key'] = $key;
			} elseif ( is_string( $args['body'] ) && false === strpos( $args['body'], 'api_key=' ) ) {
				$args['body'] .= ( '' === $args['body'] ? '' : '&' ) . 'api_key=' . rawurlencode( $key );
			}
		}
		// The service waits for the worker's verdict; WordPress' default for Akismet is 15 s.
		$args['timeout'] = max( 15, (int) ( $args['timeout'] ?? 0 ) );

		return wp_remote_request( $target, $args );
	},
	10,
	3
);
