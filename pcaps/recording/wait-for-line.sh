# Sourced by the recording scripts: waits for a peer to say it is ready.
# wait_for_line FILE PATTERN SECONDS: returns once PATTERN is in FILE; after SECONDS, prints
# FILE and exits the calling script with 1 (a peer that never became ready).
wait_for_line() {
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "$(basename "$0"): timed out waiting for '$2' in $1" >&2
    cat "$1" >&2 || true
    exit 1
}
