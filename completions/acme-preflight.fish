# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_acme_preflight_global_optspecs
    string join \n color= v/verbose h/help V/version
end

function __fish_acme_preflight_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_acme_preflight_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_acme_preflight_using_subcommand
    set -l cmd (__fish_acme_preflight_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c acme-preflight -n "__fish_acme_preflight_needs_command" -l color -d 'When to color the output: auto colors a terminal unless NO_COLOR is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c acme-preflight -n "__fish_acme_preflight_needs_command" -s v -l verbose -d 'Log what the tool does to stderr (RUST_LOG sets finer filters)'
complete -c acme-preflight -n "__fish_acme_preflight_needs_command" -s h -l help -d 'Print help'
complete -c acme-preflight -n "__fish_acme_preflight_needs_command" -s V -l version -d 'Print version'
complete -c acme-preflight -n "__fish_acme_preflight_needs_command" -f -a "check" -d 'Place a random token (in the webroot, or in memory with --standalone), fetch it as the CA would, report, clean up'
complete -c acme-preflight -n "__fish_acme_preflight_needs_command" -f -a "serve" -d 'Respond to HTTP-01 challenges from a folder or a thumbprint, in front of or beside an app'
complete -c acme-preflight -n "__fish_acme_preflight_needs_command" -f -a "demo" -d 'Run two checks on loopback against built-in servers: one passes, one fails'
complete -c acme-preflight -n "__fish_acme_preflight_needs_command" -f -a "explain" -d 'Print what a finding code means, how it is detected, and fixes per stack'
complete -c acme-preflight -n "__fish_acme_preflight_needs_command" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c acme-preflight -n "__fish_acme_preflight_needs_command" -f -a "man" -d 'Print the man page (roff) to stdout'
complete -c acme-preflight -n "__fish_acme_preflight_needs_command" -f -a "hook" -d 'Run as a hook of an ACME client, checking the real token before the CA is asked'
complete -c acme-preflight -n "__fish_acme_preflight_needs_command" -f -a "clean" -d 'Remove the token and probe files, and the folders, that a killed check left behind'
complete -c acme-preflight -n "__fish_acme_preflight_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l domains-file -d 'Read names from FILE (- for stdin): one `NAME [WEBROOT]` per line, # starts a comment. A webroot on a line overrides --webroot for that name' -r -F
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l webroot -d 'Document root the web server serves for the names; the token goes to DIR/.well-known/acme-challenge/' -r -f -a "(__fish_complete_directories)"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l challenge-dir -d 'Folder the web server maps to /.well-known/acme-challenge/ itself (an alias); the token is written straight into it' -r -f -a "(__fish_complete_directories)"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l listen -d 'With --standalone: address for the responder to listen on; repeat for several (default 0.0.0.0 and [::] on the --http-port)' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l thumbprint -d 'Check a responder in stateless mode (`serve --thumbprint`, acme.sh\'s stateless mode): expect TOKEN.THUMBPRINT for a random token; nothing is written' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l token -d 'Check a token that an ACME client already wrote, instead of writing a random one: nothing is written or removed. Needs --key-authorization' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l key-authorization -d 'The key authorization that the file for --token holds' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l resolve -d 'Pin HOST to addresses, in curl\'s form; the pin applies to every port, and repeating it adds addresses' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l dns-server -d 'Ask this DNS server instead of the system\'s resolver configuration' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l http-port -d 'Port of the first request, and of http:// redirects without a port' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l https-port -d 'Port of https:// redirects without a port' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l timeout -d 'Bound on one fetch chain in seconds (DNS, every hop and the body); each connect is capped at 10 s and one name at three times this' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l attempts -d 'Fetches of the token from every address, each on a fresh connection' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l profile -d 'CA whose rules to apply' -r -f -a "letsencrypt\t'Let\'s Encrypt in production (Boulder\'s validation authority)'
pebble\t'Pebble, the ACME test CA'"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l format -d 'Output format' -r -f -a "text\t'A summary, then details for failures'
json\t'One JSON object for the whole run'
ndjson\t'One JSON object per name, written as each finishes'
junit\t'JUnit XML, one test case per name'
github\t'GitHub Actions workflow commands, one ::error line per failing name'"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l concurrency -d 'Names checked at once' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l color -d 'When to color the output: auto colors a terminal unless NO_COLOR is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l standalone -d 'Serve the token from the bundled responder on this machine, before any web server runs on the HTTP port. Nothing is written to disk. A pass shows that DNS, firewalls, NAT and port forwarding bring the CA\'s request to this machine'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -l allow-private -d 'Keep private and loopback addresses from DNS, as a private CA would'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -s q -l quiet -d 'Print only failing names in text output'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -s v -l verbose -d 'Log what the tool does to stderr (RUST_LOG sets finer filters)'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand serve" -l challenge-dir -d 'Folder whose files are served at /.well-known/acme-challenge/ (the folder an ACME client writes to in webroot mode). Symlinks and files over 4 KiB are not served' -r -f -a "(__fish_complete_directories)"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand serve" -l thumbprint -d 'Stateless mode: respond to every well-formed token with TOKEN.THUMBPRINT, where THUMBPRINT is the ACME account key\'s SHA-256 thumbprint (43 base64url characters). With --challenge-dir too, a file for the token wins' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand serve" -l listen -d 'Address to listen on; repeat for several (IPv4 and IPv6). IPv6 sockets are IPv6-only, so 0.0.0.0:80 and [::]:80 can be given together' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand serve" -l proxy -d 'Forward every request that is not a challenge to this upstream, for example the app at http://127.0.0.1:8050. Only this address is ever contacted' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand serve" -l color -d 'When to color the output: auto colors a terminal unless NO_COLOR is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand serve" -l redirect-https -d 'Respond to every request that is not a challenge with a 308 redirect to the same host, path and query over https'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand serve" -s v -l verbose -d 'Log what the tool does to stderr (RUST_LOG sets finer filters)'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand serve" -s h -l help -d 'Print help'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand demo" -l color -d 'When to color the output: auto colors a terminal unless NO_COLOR is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand demo" -s v -l verbose -d 'Log what the tool does to stderr (RUST_LOG sets finer filters)'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand demo" -s h -l help -d 'Print help'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand explain" -l color -d 'When to color the output: auto colors a terminal unless NO_COLOR is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand explain" -l all -d 'Print every code in full, as docs/findings.md'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand explain" -s v -l verbose -d 'Log what the tool does to stderr (RUST_LOG sets finer filters)'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand explain" -s h -l help -d 'Print help'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand completions" -l color -d 'When to color the output: auto colors a terminal unless NO_COLOR is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand completions" -s v -l verbose -d 'Log what the tool does to stderr (RUST_LOG sets finer filters)'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand completions" -s h -l help -d 'Print help'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand man" -l color -d 'When to color the output: auto colors a terminal unless NO_COLOR is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand man" -s v -l verbose -d 'Log what the tool does to stderr (RUST_LOG sets finer filters)'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand man" -s h -l help -d 'Print help'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and not __fish_seen_subcommand_from certbot-auth certbot-cleanup dehydrated help" -l color -d 'When to color the output: auto colors a terminal unless NO_COLOR is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and not __fish_seen_subcommand_from certbot-auth certbot-cleanup dehydrated help" -s v -l verbose -d 'Log what the tool does to stderr (RUST_LOG sets finer filters)'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and not __fish_seen_subcommand_from certbot-auth certbot-cleanup dehydrated help" -s h -l help -d 'Print help'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and not __fish_seen_subcommand_from certbot-auth certbot-cleanup dehydrated help" -f -a "certbot-auth" -d 'certbot\'s --manual-auth-hook: write the token as the webroot plugin would, check it, and stop certbot before it answers the challenge when the CA would fail'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and not __fish_seen_subcommand_from certbot-auth certbot-cleanup dehydrated help" -f -a "certbot-cleanup" -d 'certbot\'s --manual-cleanup-hook: remove the token and the folders the auth hook created'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and not __fish_seen_subcommand_from certbot-auth certbot-cleanup dehydrated help" -f -a "dehydrated" -d 'dehydrated\'s HOOK script: check the token at deploy_challenge and exit non-zero to stop dehydrated when the CA would fail; other events do nothing'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and not __fish_seen_subcommand_from certbot-auth certbot-cleanup dehydrated help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-auth" -l webroot -d 'Document root the web server serves for the name' -r -f -a "(__fish_complete_directories)"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-auth" -l challenge-dir -d 'Folder the web server maps to /.well-known/acme-challenge/ itself' -r -f -a "(__fish_complete_directories)"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-auth" -l resolve -d 'Pin HOST to addresses, in curl\'s form; the pin applies to every port, and repeating it adds addresses' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-auth" -l dns-server -d 'Ask this DNS server instead of the system\'s resolver configuration' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-auth" -l http-port -d 'Port of the first request, and of http:// redirects without a port' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-auth" -l https-port -d 'Port of https:// redirects without a port' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-auth" -l timeout -d 'Bound on one fetch chain in seconds (DNS, every hop and the body); each connect is capped at 10 s and one name at three times this' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-auth" -l attempts -d 'Fetches of the token from every address, each on a fresh connection' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-auth" -l profile -d 'CA whose rules to apply' -r -f -a "letsencrypt\t'Let\'s Encrypt in production (Boulder\'s validation authority)'
pebble\t'Pebble, the ACME test CA'"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-auth" -l format -d 'Output format' -r -f -a "text\t'A summary, then details for failures'
json\t'One JSON object for the whole run'
ndjson\t'One JSON object per name, written as each finishes'
junit\t'JUnit XML, one test case per name'
github\t'GitHub Actions workflow commands, one ::error line per failing name'"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-auth" -l color -d 'When to color the output: auto colors a terminal unless NO_COLOR is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-auth" -l no-stop -d 'Only report and exit non-zero; leave certbot running (it then answers the challenge anyway, because it ignores an auth hook\'s exit status)'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-auth" -l allow-private -d 'Keep private and loopback addresses from DNS, as a private CA would'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-auth" -s q -l quiet -d 'Print only failing names in text output'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-auth" -s v -l verbose -d 'Log what the tool does to stderr (RUST_LOG sets finer filters)'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-auth" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-cleanup" -l webroot -d 'Document root given to the auth hook' -r -f -a "(__fish_complete_directories)"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-cleanup" -l challenge-dir -d 'Challenge folder given to the auth hook' -r -f -a "(__fish_complete_directories)"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-cleanup" -l color -d 'When to color the output: auto colors a terminal unless NO_COLOR is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-cleanup" -s v -l verbose -d 'Log what the tool does to stderr (RUST_LOG sets finer filters)'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from certbot-cleanup" -s h -l help -d 'Print help'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from dehydrated" -l challenge-dir -d 'dehydrated\'s WELLKNOWN folder, where it writes the challenge files; needed by --remove-on-fail' -r -f -a "(__fish_complete_directories)"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from dehydrated" -l resolve -d 'Pin HOST to addresses, in curl\'s form; the pin applies to every port, and repeating it adds addresses' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from dehydrated" -l dns-server -d 'Ask this DNS server instead of the system\'s resolver configuration' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from dehydrated" -l http-port -d 'Port of the first request, and of http:// redirects without a port' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from dehydrated" -l https-port -d 'Port of https:// redirects without a port' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from dehydrated" -l timeout -d 'Bound on one fetch chain in seconds (DNS, every hop and the body); each connect is capped at 10 s and one name at three times this' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from dehydrated" -l attempts -d 'Fetches of the token from every address, each on a fresh connection' -r
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from dehydrated" -l profile -d 'CA whose rules to apply' -r -f -a "letsencrypt\t'Let\'s Encrypt in production (Boulder\'s validation authority)'
pebble\t'Pebble, the ACME test CA'"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from dehydrated" -l format -d 'Output format' -r -f -a "text\t'A summary, then details for failures'
json\t'One JSON object for the whole run'
ndjson\t'One JSON object per name, written as each finishes'
junit\t'JUnit XML, one test case per name'
github\t'GitHub Actions workflow commands, one ::error line per failing name'"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from dehydrated" -l color -d 'When to color the output: auto colors a terminal unless NO_COLOR is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from dehydrated" -l remove-on-fail -d 'When the CA would fail, also remove the challenge file dehydrated wrote, as its clean_challenge step would have; dehydrated stops before that step'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from dehydrated" -l allow-private -d 'Keep private and loopback addresses from DNS, as a private CA would'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from dehydrated" -s q -l quiet -d 'Print only failing names in text output'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from dehydrated" -s v -l verbose -d 'Log what the tool does to stderr (RUST_LOG sets finer filters)'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from dehydrated" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "certbot-auth" -d 'certbot\'s --manual-auth-hook: write the token as the webroot plugin would, check it, and stop certbot before it answers the challenge when the CA would fail'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "certbot-cleanup" -d 'certbot\'s --manual-cleanup-hook: remove the token and the folders the auth hook created'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "dehydrated" -d 'dehydrated\'s HOOK script: check the token at deploy_challenge and exit non-zero to stop dehydrated when the CA would fail; other events do nothing'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand clean" -l webroot -d 'Document root given to the check; DIR, DIR/.well-known and DIR/.well-known/acme-challenge are cleaned' -r -f -a "(__fish_complete_directories)"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand clean" -l challenge-dir -d 'Challenge folder given to the check; only files in DIR are removed, never DIR' -r -f -a "(__fish_complete_directories)"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand clean" -l color -d 'When to color the output: auto colors a terminal unless NO_COLOR is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand clean" -l dry-run -d 'List what would be removed, and remove nothing'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand clean" -s v -l verbose -d 'Log what the tool does to stderr (RUST_LOG sets finer filters)'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand clean" -s h -l help -d 'Print help'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand help; and not __fish_seen_subcommand_from check serve demo explain completions man hook clean help" -f -a "check" -d 'Place a random token (in the webroot, or in memory with --standalone), fetch it as the CA would, report, clean up'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand help; and not __fish_seen_subcommand_from check serve demo explain completions man hook clean help" -f -a "serve" -d 'Respond to HTTP-01 challenges from a folder or a thumbprint, in front of or beside an app'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand help; and not __fish_seen_subcommand_from check serve demo explain completions man hook clean help" -f -a "demo" -d 'Run two checks on loopback against built-in servers: one passes, one fails'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand help; and not __fish_seen_subcommand_from check serve demo explain completions man hook clean help" -f -a "explain" -d 'Print what a finding code means, how it is detected, and fixes per stack'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand help; and not __fish_seen_subcommand_from check serve demo explain completions man hook clean help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand help; and not __fish_seen_subcommand_from check serve demo explain completions man hook clean help" -f -a "man" -d 'Print the man page (roff) to stdout'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand help; and not __fish_seen_subcommand_from check serve demo explain completions man hook clean help" -f -a "hook" -d 'Run as a hook of an ACME client, checking the real token before the CA is asked'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand help; and not __fish_seen_subcommand_from check serve demo explain completions man hook clean help" -f -a "clean" -d 'Remove the token and probe files, and the folders, that a killed check left behind'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand help; and not __fish_seen_subcommand_from check serve demo explain completions man hook clean help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "certbot-auth" -d 'certbot\'s --manual-auth-hook: write the token as the webroot plugin would, check it, and stop certbot before it answers the challenge when the CA would fail'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "certbot-cleanup" -d 'certbot\'s --manual-cleanup-hook: remove the token and the folders the auth hook created'
complete -c acme-preflight -n "__fish_acme_preflight_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "dehydrated" -d 'dehydrated\'s HOOK script: check the token at deploy_challenge and exit non-zero to stop dehydrated when the CA would fail; other events do nothing'
