#compdef acme-preflight

autoload -U is-at-least

_acme-preflight() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'--color=[When to color the output\: auto colors a terminal unless NO_COLOR is set]:COLOR:(auto always never)' \
'*-v[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'*--verbose[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_acme-preflight_commands" \
"*::: :->acme-preflight" \
&& ret=0
    case $state in
    (acme-preflight)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:acme-preflight-command-$line[1]:"
        case $line[1] in
            (check)
_arguments "${_arguments_options[@]}" : \
'--domains-file=[Read names from FILE (- for stdin)\: one \`NAME \[WEBROOT\]\` per line, # starts a comment. A webroot on a line overrides --webroot for that name]:FILE:_files' \
'--webroot=[Document root the web server serves for the names; the token goes to DIR/.well-known/acme-challenge/]:DIR:_files -/' \
'--challenge-dir=[Folder the web server maps to /.well-known/acme-challenge/ itself (an alias); the token is written straight into it]:DIR:_files -/' \
'*--listen=[With --standalone\: address for the responder to listen on; repeat for several (default 0.0.0.0 and \[\:\:\] on the --http-port)]:ADDR:PORT:_default' \
'--thumbprint=[Check a responder in stateless mode (\`serve --thumbprint\`, acme.sh'\''s stateless mode)\: expect TOKEN.THUMBPRINT for a random token; nothing is written]:THUMBPRINT:_default' \
'(--standalone --thumbprint)--token=[Check a token that an ACME client already wrote, instead of writing a random one\: nothing is written or removed. Needs --key-authorization]:TOKEN:_default' \
'--key-authorization=[The key authorization that the file for --token holds]:KEY_AUTHORIZATION:_default' \
'*--resolve=[Pin HOST to addresses, in curl'\''s form; the pin applies to every port, and repeating it adds addresses]:HOST:PORT:ADDR[,ADDR...]:_default' \
'--dns-server=[Ask this DNS server instead of the system'\''s resolver configuration]:ADDR[:PORT]:_default' \
'--http-port=[Port of the first request, and of http\:// redirects without a port]:PORT:_default' \
'--https-port=[Port of https\:// redirects without a port]:PORT:_default' \
'--timeout=[Bound on one fetch chain in seconds (DNS, every hop and the body); each connect is capped at 10 s and one name at three times this]:SECS:_default' \
'--attempts=[Fetches of the token from every address, each on a fresh connection]:N:_default' \
'--profile=[CA whose rules to apply]:PROFILE:((letsencrypt\:"Let'\''s Encrypt in production (Boulder'\''s validation authority)"
pebble\:"Pebble, the ACME test CA"))' \
'--format=[Output format]:FORMAT:((text\:"A summary, then details for failures"
json\:"One JSON object for the whole run"
ndjson\:"One JSON object per name, written as each finishes"
junit\:"JUnit XML, one test case per name"
github\:"GitHub Actions workflow commands, one \:\:error line per failing name"))' \
'--concurrency=[Names checked at once]:N:_default' \
'--color=[When to color the output\: auto colors a terminal unless NO_COLOR is set]:COLOR:(auto always never)' \
'--standalone[Serve the token from the bundled responder on this machine, before any web server runs on the HTTP port. Nothing is written to disk. A pass shows that DNS, firewalls, NAT and port forwarding bring the CA'\''s request to this machine]' \
'--allow-private[Keep private and loopback addresses from DNS, as a private CA would]' \
'-q[Print only failing names in text output]' \
'--quiet[Print only failing names in text output]' \
'*-v[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'*--verbose[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::domains -- Names to check, as they appear in the certificate request:_default' \
&& ret=0
;;
(serve)
_arguments "${_arguments_options[@]}" : \
'--challenge-dir=[Folder whose files are served at /.well-known/acme-challenge/ (the folder an ACME client writes to in webroot mode). Symlinks and files over 4 KiB are not served]:DIR:_files -/' \
'--thumbprint=[Stateless mode\: respond to every well-formed token with TOKEN.THUMBPRINT, where THUMBPRINT is the ACME account key'\''s SHA-256 thumbprint (43 base64url characters). With --challenge-dir too, a file for the token wins]:THUMBPRINT:_default' \
'*--listen=[Address to listen on; repeat for several (IPv4 and IPv6). IPv6 sockets are IPv6-only, so 0.0.0.0\:80 and \[\:\:\]\:80 can be given together]:ADDR:PORT:_default' \
'(--redirect-https)--proxy=[Forward every request that is not a challenge to this upstream, for example the app at http\://127.0.0.1\:8050. Only this address is ever contacted]:http://HOST:PORT:_default' \
'--color=[When to color the output\: auto colors a terminal unless NO_COLOR is set]:COLOR:(auto always never)' \
'--redirect-https[Respond to every request that is not a challenge with a 308 redirect to the same host, path and query over https]' \
'*-v[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'*--verbose[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(demo)
_arguments "${_arguments_options[@]}" : \
'--color=[When to color the output\: auto colors a terminal unless NO_COLOR is set]:COLOR:(auto always never)' \
'*-v[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'*--verbose[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(explain)
_arguments "${_arguments_options[@]}" : \
'--color=[When to color the output\: auto colors a terminal unless NO_COLOR is set]:COLOR:(auto always never)' \
'--all[Print every code in full, as docs/findings.md]' \
'*-v[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'*--verbose[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'-h[Print help]' \
'--help[Print help]' \
'::code -- The finding code, for example catch-all; without one, list every code:_default' \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'--color=[When to color the output\: auto colors a terminal unless NO_COLOR is set]:COLOR:(auto always never)' \
'*-v[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'*--verbose[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'-h[Print help]' \
'--help[Print help]' \
':shell -- The shell to complete for:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
'--color=[When to color the output\: auto colors a terminal unless NO_COLOR is set]:COLOR:(auto always never)' \
'*-v[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'*--verbose[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(hook)
_arguments "${_arguments_options[@]}" : \
'--color=[When to color the output\: auto colors a terminal unless NO_COLOR is set]:COLOR:(auto always never)' \
'*-v[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'*--verbose[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'-h[Print help]' \
'--help[Print help]' \
":: :_acme-preflight__subcmd__hook_commands" \
"*::: :->hook" \
&& ret=0

    case $state in
    (hook)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:acme-preflight-hook-command-$line[1]:"
        case $line[1] in
            (certbot-auth)
_arguments "${_arguments_options[@]}" : \
'--webroot=[Document root the web server serves for the name]:DIR:_files -/' \
'(--webroot)--challenge-dir=[Folder the web server maps to /.well-known/acme-challenge/ itself]:DIR:_files -/' \
'*--resolve=[Pin HOST to addresses, in curl'\''s form; the pin applies to every port, and repeating it adds addresses]:HOST:PORT:ADDR[,ADDR...]:_default' \
'--dns-server=[Ask this DNS server instead of the system'\''s resolver configuration]:ADDR[:PORT]:_default' \
'--http-port=[Port of the first request, and of http\:// redirects without a port]:PORT:_default' \
'--https-port=[Port of https\:// redirects without a port]:PORT:_default' \
'--timeout=[Bound on one fetch chain in seconds (DNS, every hop and the body); each connect is capped at 10 s and one name at three times this]:SECS:_default' \
'--attempts=[Fetches of the token from every address, each on a fresh connection]:N:_default' \
'--profile=[CA whose rules to apply]:PROFILE:((letsencrypt\:"Let'\''s Encrypt in production (Boulder'\''s validation authority)"
pebble\:"Pebble, the ACME test CA"))' \
'--format=[Output format]:FORMAT:((text\:"A summary, then details for failures"
json\:"One JSON object for the whole run"
ndjson\:"One JSON object per name, written as each finishes"
junit\:"JUnit XML, one test case per name"
github\:"GitHub Actions workflow commands, one \:\:error line per failing name"))' \
'--color=[When to color the output\: auto colors a terminal unless NO_COLOR is set]:COLOR:(auto always never)' \
'--no-stop[Only report and exit non-zero; leave certbot running (it then answers the challenge anyway, because it ignores an auth hook'\''s exit status)]' \
'--allow-private[Keep private and loopback addresses from DNS, as a private CA would]' \
'-q[Print only failing names in text output]' \
'--quiet[Print only failing names in text output]' \
'*-v[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'*--verbose[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(certbot-cleanup)
_arguments "${_arguments_options[@]}" : \
'--webroot=[Document root given to the auth hook]:DIR:_files -/' \
'(--webroot)--challenge-dir=[Challenge folder given to the auth hook]:DIR:_files -/' \
'--color=[When to color the output\: auto colors a terminal unless NO_COLOR is set]:COLOR:(auto always never)' \
'*-v[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'*--verbose[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(dehydrated)
_arguments "${_arguments_options[@]}" : \
'--challenge-dir=[dehydrated'\''s WELLKNOWN folder, where it writes the challenge files; needed by --remove-on-fail]:DIR:_files -/' \
'*--resolve=[Pin HOST to addresses, in curl'\''s form; the pin applies to every port, and repeating it adds addresses]:HOST:PORT:ADDR[,ADDR...]:_default' \
'--dns-server=[Ask this DNS server instead of the system'\''s resolver configuration]:ADDR[:PORT]:_default' \
'--http-port=[Port of the first request, and of http\:// redirects without a port]:PORT:_default' \
'--https-port=[Port of https\:// redirects without a port]:PORT:_default' \
'--timeout=[Bound on one fetch chain in seconds (DNS, every hop and the body); each connect is capped at 10 s and one name at three times this]:SECS:_default' \
'--attempts=[Fetches of the token from every address, each on a fresh connection]:N:_default' \
'--profile=[CA whose rules to apply]:PROFILE:((letsencrypt\:"Let'\''s Encrypt in production (Boulder'\''s validation authority)"
pebble\:"Pebble, the ACME test CA"))' \
'--format=[Output format]:FORMAT:((text\:"A summary, then details for failures"
json\:"One JSON object for the whole run"
ndjson\:"One JSON object per name, written as each finishes"
junit\:"JUnit XML, one test case per name"
github\:"GitHub Actions workflow commands, one \:\:error line per failing name"))' \
'--color=[When to color the output\: auto colors a terminal unless NO_COLOR is set]:COLOR:(auto always never)' \
'--remove-on-fail[When the CA would fail, also remove the challenge file dehydrated wrote, as its clean_challenge step would have; dehydrated stops before that step]' \
'--allow-private[Keep private and loopback addresses from DNS, as a private CA would]' \
'-q[Print only failing names in text output]' \
'--quiet[Print only failing names in text output]' \
'*-v[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'*--verbose[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::event -- The event and its arguments, as dehydrated passes them:_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_acme-preflight__subcmd__hook__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:acme-preflight-hook-help-command-$line[1]:"
        case $line[1] in
            (certbot-auth)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(certbot-cleanup)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(dehydrated)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(clean)
_arguments "${_arguments_options[@]}" : \
'(--challenge-dir)--webroot=[Document root given to the check; DIR, DIR/.well-known and DIR/.well-known/acme-challenge are cleaned]:DIR:_files -/' \
'--challenge-dir=[Challenge folder given to the check; only files in DIR are removed, never DIR]:DIR:_files -/' \
'--color=[When to color the output\: auto colors a terminal unless NO_COLOR is set]:COLOR:(auto always never)' \
'--dry-run[List what would be removed, and remove nothing]' \
'*-v[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'*--verbose[Log what the tool does to stderr (RUST_LOG sets finer filters)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_acme-preflight__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:acme-preflight-help-command-$line[1]:"
        case $line[1] in
            (check)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(serve)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(demo)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(explain)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(hook)
_arguments "${_arguments_options[@]}" : \
":: :_acme-preflight__subcmd__help__subcmd__hook_commands" \
"*::: :->hook" \
&& ret=0

    case $state in
    (hook)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:acme-preflight-help-hook-command-$line[1]:"
        case $line[1] in
            (certbot-auth)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(certbot-cleanup)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(dehydrated)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(clean)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_acme-preflight_commands] )) ||
_acme-preflight_commands() {
    local commands; commands=(
'check:Place a random token (in the webroot, or in memory with --standalone), fetch it as the CA would, report, clean up' \
'serve:Respond to HTTP-01 challenges from a folder or a thumbprint, in front of or beside an app' \
'demo:Run two checks on loopback against built-in servers\: one passes, one fails' \
'explain:Print what a finding code means, how it is detected, and fixes per stack' \
'completions:Print a shell completion script to stdout' \
'man:Print the man page (roff) to stdout' \
'hook:Run as a hook of an ACME client, checking the real token before the CA is asked' \
'clean:Remove the token and probe files, and the folders, that a killed check left behind' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'acme-preflight commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__check_commands] )) ||
_acme-preflight__subcmd__check_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight check commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__clean_commands] )) ||
_acme-preflight__subcmd__clean_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight clean commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__completions_commands] )) ||
_acme-preflight__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight completions commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__demo_commands] )) ||
_acme-preflight__subcmd__demo_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight demo commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__explain_commands] )) ||
_acme-preflight__subcmd__explain_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight explain commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__help_commands] )) ||
_acme-preflight__subcmd__help_commands() {
    local commands; commands=(
'check:Place a random token (in the webroot, or in memory with --standalone), fetch it as the CA would, report, clean up' \
'serve:Respond to HTTP-01 challenges from a folder or a thumbprint, in front of or beside an app' \
'demo:Run two checks on loopback against built-in servers\: one passes, one fails' \
'explain:Print what a finding code means, how it is detected, and fixes per stack' \
'completions:Print a shell completion script to stdout' \
'man:Print the man page (roff) to stdout' \
'hook:Run as a hook of an ACME client, checking the real token before the CA is asked' \
'clean:Remove the token and probe files, and the folders, that a killed check left behind' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'acme-preflight help commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__help__subcmd__check_commands] )) ||
_acme-preflight__subcmd__help__subcmd__check_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight help check commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__help__subcmd__clean_commands] )) ||
_acme-preflight__subcmd__help__subcmd__clean_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight help clean commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__help__subcmd__completions_commands] )) ||
_acme-preflight__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight help completions commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__help__subcmd__demo_commands] )) ||
_acme-preflight__subcmd__help__subcmd__demo_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight help demo commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__help__subcmd__explain_commands] )) ||
_acme-preflight__subcmd__help__subcmd__explain_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight help explain commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__help__subcmd__help_commands] )) ||
_acme-preflight__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight help help commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__help__subcmd__hook_commands] )) ||
_acme-preflight__subcmd__help__subcmd__hook_commands() {
    local commands; commands=(
'certbot-auth:certbot'\''s --manual-auth-hook\: write the token as the webroot plugin would, check it, and stop certbot before it answers the challenge when the CA would fail' \
'certbot-cleanup:certbot'\''s --manual-cleanup-hook\: remove the token and the folders the auth hook created' \
'dehydrated:dehydrated'\''s HOOK script\: check the token at deploy_challenge and exit non-zero to stop dehydrated when the CA would fail; other events do nothing' \
    )
    _describe -t commands 'acme-preflight help hook commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__help__subcmd__hook__subcmd__certbot-auth_commands] )) ||
_acme-preflight__subcmd__help__subcmd__hook__subcmd__certbot-auth_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight help hook certbot-auth commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__help__subcmd__hook__subcmd__certbot-cleanup_commands] )) ||
_acme-preflight__subcmd__help__subcmd__hook__subcmd__certbot-cleanup_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight help hook certbot-cleanup commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__help__subcmd__hook__subcmd__dehydrated_commands] )) ||
_acme-preflight__subcmd__help__subcmd__hook__subcmd__dehydrated_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight help hook dehydrated commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__help__subcmd__man_commands] )) ||
_acme-preflight__subcmd__help__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight help man commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__help__subcmd__serve_commands] )) ||
_acme-preflight__subcmd__help__subcmd__serve_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight help serve commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__hook_commands] )) ||
_acme-preflight__subcmd__hook_commands() {
    local commands; commands=(
'certbot-auth:certbot'\''s --manual-auth-hook\: write the token as the webroot plugin would, check it, and stop certbot before it answers the challenge when the CA would fail' \
'certbot-cleanup:certbot'\''s --manual-cleanup-hook\: remove the token and the folders the auth hook created' \
'dehydrated:dehydrated'\''s HOOK script\: check the token at deploy_challenge and exit non-zero to stop dehydrated when the CA would fail; other events do nothing' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'acme-preflight hook commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__hook__subcmd__certbot-auth_commands] )) ||
_acme-preflight__subcmd__hook__subcmd__certbot-auth_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight hook certbot-auth commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__hook__subcmd__certbot-cleanup_commands] )) ||
_acme-preflight__subcmd__hook__subcmd__certbot-cleanup_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight hook certbot-cleanup commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__hook__subcmd__dehydrated_commands] )) ||
_acme-preflight__subcmd__hook__subcmd__dehydrated_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight hook dehydrated commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__hook__subcmd__help_commands] )) ||
_acme-preflight__subcmd__hook__subcmd__help_commands() {
    local commands; commands=(
'certbot-auth:certbot'\''s --manual-auth-hook\: write the token as the webroot plugin would, check it, and stop certbot before it answers the challenge when the CA would fail' \
'certbot-cleanup:certbot'\''s --manual-cleanup-hook\: remove the token and the folders the auth hook created' \
'dehydrated:dehydrated'\''s HOOK script\: check the token at deploy_challenge and exit non-zero to stop dehydrated when the CA would fail; other events do nothing' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'acme-preflight hook help commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__hook__subcmd__help__subcmd__certbot-auth_commands] )) ||
_acme-preflight__subcmd__hook__subcmd__help__subcmd__certbot-auth_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight hook help certbot-auth commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__hook__subcmd__help__subcmd__certbot-cleanup_commands] )) ||
_acme-preflight__subcmd__hook__subcmd__help__subcmd__certbot-cleanup_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight hook help certbot-cleanup commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__hook__subcmd__help__subcmd__dehydrated_commands] )) ||
_acme-preflight__subcmd__hook__subcmd__help__subcmd__dehydrated_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight hook help dehydrated commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__hook__subcmd__help__subcmd__help_commands] )) ||
_acme-preflight__subcmd__hook__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight hook help help commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__man_commands] )) ||
_acme-preflight__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight man commands' commands "$@"
}
(( $+functions[_acme-preflight__subcmd__serve_commands] )) ||
_acme-preflight__subcmd__serve_commands() {
    local commands; commands=()
    _describe -t commands 'acme-preflight serve commands' commands "$@"
}

if [ "$funcstack[1]" = "_acme-preflight" ]; then
    _acme-preflight "$@"
else
    compdef _acme-preflight acme-preflight
fi
