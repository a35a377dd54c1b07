# Sourced by run.sh and instr.sh, after ROOT, SIPWARD and NUSERS are set.

# The peers' bench: PEER_BENCH, else shared/ beside the repository (or
# beside a worktree's parent directory); empty when none is found.
PEER=${PEER_BENCH:-}
for d in "$ROOT/../shared" "$ROOT/../../shared"; do
    [ -z "$PEER" ] && [ -d "$d/peers/kamailio-bench" ] && PEER=$(cd "$d/peers/kamailio-bench" && pwd)
done

# moved_store DB: a new store whose moved directory is what the 301 load
# asks for, moved-N@bench.example.net -> sip:N@new.example.net (as
# Kamailio's config), from moved-0: the peers' latency probe starts there.
moved_store() {
    "$SIPWARD" moved list --store "$1" >/dev/null
    sqlite3 "$1" "WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL
        SELECT x + 1 FROM n WHERE x < $NUSERS) INSERT INTO moved
        SELECT 'sip:moved-' || x || '@bench.example.net',
               'sip:' || x || '@new.example.net', 'bench', 0 FROM n;"
}
