#!/usr/bin/env bash
# Pack the .app that PyInstaller built into a compressed disk image with an Applications
# link to drag it onto. `python build_spec/build.py` runs it; by hand:
#
#   build_spec/macos/make_dmg.sh "dist/RapidPro Explorer.app" dist/RapidPro-Explorer-0.1.0.dmg
#
# Optional: CODESIGN_IDENTITY="Developer ID Application: …" signs the app (hardened runtime)
# and the image; NOTARY_PROFILE=<a `xcrun notarytool store-credentials` profile> then
# notarizes and staples the image. Without them the app keeps PyInstaller's ad-hoc
# signature: it runs where it was built, and elsewhere after right-click > Open.
set -euo pipefail

app="${1:?usage: make_dmg.sh APP DMG}"
dmg="${2:?usage: make_dmg.sh APP DMG}"
if [[ ! -d "$app/Contents/MacOS" ]]; then
    echo "make_dmg.sh: not an app bundle: $app" >&2
    exit 2
fi
name="$(basename "$app" .app)"
staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT

ditto "$app" "$staging/$name.app"  # ditto keeps symlinks, extended attributes, signatures
ln -s /Applications "$staging/Applications"

if [[ -n "${CODESIGN_IDENTITY:-}" ]]; then
    codesign --force --deep --timestamp --options runtime \
        --sign "$CODESIGN_IDENTITY" "$staging/$name.app"
fi

rm -f "$dmg"
hdiutil create -volname "$name" -srcfolder "$staging" -fs HFS+ \
    -format UDZO -imagekey zlib-level=9 -ov "$dmg"

if [[ -n "${CODESIGN_IDENTITY:-}" ]]; then
    codesign --force --timestamp --sign "$CODESIGN_IDENTITY" "$dmg"
    if [[ -n "${NOTARY_PROFILE:-}" ]]; then
        xcrun notarytool submit "$dmg" --keychain-profile "$NOTARY_PROFILE" --wait
        xcrun stapler staple "$dmg"
    fi
fi
hdiutil verify "$dmg" >/dev/null
echo "$dmg"
