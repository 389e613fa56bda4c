#!/bin/sh
# Build the installable plugin zip: contrib/wordpress/dist/comment-moderation.zip
# (Plugins → Add New → Upload Plugin). Lints every PHP file first when php is installed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="${1:-$here/dist/comment-moderation.zip}"
if command -v php >/dev/null 2>&1; then
	find "$here/moderation" -name '*.php' -exec php -l {} \; >/dev/null
fi
mkdir -p "$(dirname "$out")"
rm -f "$out"
# The zip's top folder is the plugin's slug, as WordPress expects.
python3 - "$here/moderation" "$out" <<'PY'
import pathlib, sys, zipfile
source, target = pathlib.Path(sys.argv[1]), sys.argv[2]
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
    for path in sorted(source.rglob("*")):
        if path.is_file():
            archive.write(path, pathlib.Path("comment-moderation") / path.relative_to(source))
PY
echo "$out"
