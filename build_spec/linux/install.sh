#!/bin/sh
# Install Hearth from this unpacked tarball for the current user (no root needed):
# the app in ~/.local/opt/hearth, `hearth` on the PATH, and a menu entry with its icon.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
mkdir -p "$prefix/opt" "$prefix/bin" "$prefix/share/applications"
rm -rf "$prefix/opt/hearth"
cp -a "$here/hearth" "$prefix/opt/hearth"
ln -sf "$prefix/opt/hearth/hearth" "$prefix/bin/hearth"
sed "s|^Exec=hearth|Exec=$prefix/bin/hearth|" "$here/hearth.desktop" \
  > "$prefix/share/applications/hearth.desktop"
for png in "$here"/icons/hearth-*.png; do
  size=$(basename "$png" .png | sed 's/hearth-//')
  mkdir -p "$prefix/share/icons/hicolor/${size}x${size}/apps"
  cp "$png" "$prefix/share/icons/hicolor/${size}x${size}/apps/hearth.png"
done
command -v update-desktop-database >/dev/null && update-desktop-database "$prefix/share/applications" || true
echo "Hearth installed: run 'hearth' (or find it in your applications menu)."
