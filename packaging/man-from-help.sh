#!/usr/bin/env bash
# Writes man pages for the `spool` command from its own --help output, so the pages say exactly
# what the built binary says (help2man is not needed):
#   packaging/man-from-help.sh SPOOL_BINARY OUT_DIR VERSION
# OUT_DIR gets spool.1.gz, and spool-VERB.1.gz for every verb `spool --help` lists under
# "Subcommands:", recursively (spool-schedules-add.1.gz, spool-jobs-watch.1.gz). Run at build time
# by packaging/CMakeLists.txt after `spool` links.
#
# The parser follows CLI11's help layout (its default formatter): a description line, "Usage:",
# then blocks "Positionals:", "Options:", "Subcommands:" of items ("  NAME   text", long names
# with the text on the next line, indented), each block ending at a blank line; whatever follows
# that is not such a block is the verb's footer (examples, exit codes), kept as laid out.
# A new kind of block in CLI11's output => add its header to the list in the awk program below.
set -euo pipefail

if (($# != 3)); then
  echo "usage: $0 SPOOL_BINARY OUT_DIR VERSION" >&2
  exit 2
fi
spool=$1
out=$2
version=$3
# Reproducible pages: the date comes from SOURCE_DATE_EPOCH when the build sets it.
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# to_roff PAGE "SEE_ALSO_PAGES" COMMAND < help text > roff
to_roff() {
  SEE_ALSO="$2" awk -v page="$1" -v cmd="$3" -v version="$version" -v date="$date" '
    function esc(s) {
      gsub(/\\/, "\\e", s)
      gsub(/-/, "\\-", s)
      return s
    }
    # A line of text: a leading . or '"'"' would be read as a request.
    function line(s) {
      s = esc(s)
      if (s ~ /^[.'"'"']/) s = "\\&" s
      return s
    }
    # The item read so far (its text may go on over the next lines) goes into its section.
    function flush_item(   t) {
      if (tag == "") return
      t = line(text)
      if (section == "Subcommands") t = t (t == "" || t ~ /\.$/ ? (t == "" ? "See" : " See") : "; see") " \\fB" esc(page "-" tag) "\\fR(1)."
      body[section] = body[section] ".TP\n.B " line(tag) "\n" t "\n"
      tag = ""; text = ""
    }
    BEGIN { state = "head" }
    NR == 1 && !/^Usage:/ { description = $0; next }
    /^Usage: / { usage = substr($0, 8); next }
    /^$/ {
      if (state == "section") { flush_item(); state = "gap" }
      else if (state == "footer") footer[nfooter++] = ""
      else state = "gap"
      next
    }
    state == "gap" && /^(Positionals|Options|Subcommands):$/ {
      section = substr($0, 1, length($0) - 1)
      state = "section"
      next
    }
    state == "section" && /^                            / {  # a long item: its text on its own line
      sub(/^ +/, "")
      text = (text == "" ? $0 : text " " $0)
      next
    }
    state == "section" {
      flush_item()
      item = $0
      sub(/^ +/, "", item)
      if (match(item, /  +/)) {
        tag = substr(item, 1, RSTART - 1)
        text = substr(item, RSTART + RLENGTH)
      } else if (match(item, /(Excludes|Needs): [^ ]+ /)) {  # CLI11 runs these into the text
        tag = substr(item, 1, RSTART + RLENGTH - 2)
        text = substr(item, RSTART + RLENGTH)
      } else {
        tag = item; text = ""
      }
      next
    }
    { state = "footer"; footer[nfooter++] = $0 }
    END {
      flush_item()
      while (nfooter > 0 && footer[nfooter - 1] == "") nfooter--
      printf ".TH %s 1 \"%s\" \"spool %s\" \"Spool manual\"\n", esc(toupper(page)), date, version
      print ".nh"
      print ".SH NAME"
      print esc(page) " \\- " line(description)
      print ".SH SYNOPSIS"
      if (index(usage, cmd) == 1) print ".B " line(cmd) "\n" line(substr(usage, length(cmd) + 2))
      else print ".B " line(usage)
      print ".SH DESCRIPTION"
      print line(description)
      if ("Positionals" in body) { print ".SH ARGUMENTS"; printf "%s", body["Positionals"] }
      if ("Options" in body) { print ".SH OPTIONS"; printf "%s", body["Options"] }
      if ("Subcommands" in body) { print ".SH COMMANDS"; printf "%s", body["Subcommands"] }
      if (nfooter > 0) {
        print ".SH DETAILS"
        print ".nf"
        for (i = 0; i < nfooter; i++) print line(footer[i])
        print ".fi"
      }
      n = split(ENVIRON["SEE_ALSO"], see, " ")  # passed by the environment: -v would eat backslashes
      if (n > 0) print ".SH SEE ALSO"
      for (i = 1; i <= n; i++) print "\\fB" esc(see[i]) "\\fR(1)" (i < n ? "," : "")
    }
  '
}

# subcommands < help text: the names listed under "Subcommands:"
subcommands() {
  awk '/^Subcommands:$/ { on = 1; next } on && /^$/ { exit } on && /^  [^ ]/ { print $1 }'
}

pages=0
# page VERB...: writes the page for `spool VERB... --help`, then one per subcommand.
page() {
  local name="spool" words=("$@") w
  for w in "${words[@]}"; do name="$name-$w"; done
  local help="$tmp/$name.help"
  if ! "$spool" "${words[@]}" --help >"$help" 2>&1; then
    echo "man-from-help: \`spool ${words[*]} --help\` failed:" >&2
    cat "$help" >&2
    exit 1
  fi
  local children
  children=$(subcommands <"$help")
  local see_also="" parent="spool" c
  if ((${#words[@]} > 0)); then
    parent="spool"
    for w in "${words[@]::${#words[@]}-1}"; do parent="$parent-$w"; done
    see_also=$parent
  fi
  for c in $children; do see_also="$see_also $name-$c"; done
  to_roff "$name" "$see_also" "spool${words[*]:+ ${words[*]}}" <"$help" >"$tmp/$name.1"
  gzip -9 -n -c "$tmp/$name.1" >"$tmp/$name.1.gz"
  pages=$((pages + 1))
  for c in $children; do page "${words[@]}" "$c"; done
}

page
mkdir -p "$out"
rm -f "$out"/spool*.1.gz
mv "$tmp"/*.1.gz "$out"/
echo "man-from-help: $pages pages in $out"
