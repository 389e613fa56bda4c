<?php
/**
 * php check_comments.php PLUGIN_DIR: verify the key, then file each comment of the JSON list on
 * stdin with the plugin's own checker; prints {"verify": ..., "filed": [...]} as JSON.
 */

require __DIR__ . '/wordpress_stubs.php';
require $argv[1] . '/moderation.php';

$comments = json_decode( stream_get_contents( STDIN ), true );
$filed    = array();
foreach ( $comments as $comment ) {
	$filed[] = Comment_Moderation_Checker::approved( 1, $comment );
}
echo json_encode( array( 'verify' => Comment_Moderation_Client::verify(), 'filed' => $filed ) );
