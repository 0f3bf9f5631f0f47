#!/usr/bin/env bash
# Renders resources/src/*.svg into every icon file the app and installers use. The
# outputs are committed; re-run after editing an SVG. Needs Debian's librsvg2-bin
# (rsvg-convert), icoutils (icotool) and icnsutils (png2icns).
set -euo pipefail
cd "$(dirname "$0")"
src=src
render() { rsvg-convert --width "$2" --height "$2" --format png --output "$3" "$1"; }

for state in idle running failed; do
  # macOS: black-and-alpha Template images, 16 pt and @2x.
  render "$src/tray-$state-template.svg" 16 "tray/tray-${state}Template.png"
  render "$src/tray-$state-template.svg" 32 "tray/tray-${state}Template@2x.png"
  # Linux: PNG with @2x for HiDPI panels.
  render "$src/tray-$state.svg" 16 "tray/tray-$state.png"
  render "$src/tray-$state.svg" 32 "tray/tray-$state@2x.png"
  # Windows: one .ico holding every size the notification area asks for.
  tmp=$(mktemp -d)
  for size in 16 20 24 32 48; do render "$src/tray-$state.svg" "$size" "$tmp/$size.png"; done
  icotool --create --output "tray/tray-$state.ico" "$tmp"/16.png "$tmp"/20.png "$tmp"/24.png "$tmp"/32.png "$tmp"/48.png
  rm -rf "$tmp"
done

# App icon: a PNG set for Linux (electron-builder reads NxN.png from the folder), .ico for Windows, .icns for macOS.
for size in 16 24 32 48 64 128 256 512 1024; do render "$src/icon.svg" "$size" "icons/${size}x${size}.png"; done
# 256 px goes in as PNG (--raw), as Windows Vista and later expect; smaller sizes as bitmaps.
icotool --create --output icons/icon.ico icons/16x16.png icons/24x24.png icons/32x32.png icons/48x48.png icons/64x64.png icons/128x128.png --raw=icons/256x256.png
png2icns icons/icon.icns icons/16x16.png icons/32x32.png icons/48x48.png icons/128x128.png icons/256x256.png icons/512x512.png icons/1024x1024.png >/dev/null
echo "icons rendered into resources/tray and resources/icons"
