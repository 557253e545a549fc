# shellcheck shell=bash
# Takes one program out of a Debian package without installing anything system-wide: `apt-get
# download` fetches the .deb and `dpkg-deb -x` unpacks it, so no package hook runs and nothing
# outside the repository changes. Debian's mirrors are reachable from CI; GitHub releases may not be.

# fetch_debian_binary <package> <path inside the package> <destination file>
fetch_debian_binary() {
  local package="$1" inside="$2" dest="$3" tmp
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: $tmp is local
  trap "rm -rf '$tmp'" RETURN
  # As root, apt downloads as its unprivileged _apt user; let it write here (else it warns).
  if [[ $EUID -eq 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
  echo "fetching Debian's $package package for $(basename "$dest")" >&2
  # apt-get download writes into the current directory.
  if ! (cd "$tmp" && apt-get download "$package" >&2); then
    echo "download of $package failed; refreshing the package lists and retrying" >&2
    apt-get update >&2
    (cd "$tmp" && apt-get download "$package" >&2) || return 1
  fi
  local deb
  deb="$(find "$tmp" -maxdepth 1 -name "${package}_*.deb" | head -n 1)"
  [[ -n "$deb" ]] || { echo "apt-get download produced no ${package}_*.deb" >&2; return 1; }
  dpkg-deb -x "$deb" "$tmp/root"
  [[ -x "$tmp/root/$inside" ]] || { echo "$deb has no $inside" >&2; return 1; }
  mkdir -p "$(dirname "$dest")"
  # Copy then rename, so a concurrent run never executes a half-written binary.
  cp "$tmp/root/$inside" "$dest.tmp"
  chmod +x "$dest.tmp"
  mv -f "$dest.tmp" "$dest"
}
