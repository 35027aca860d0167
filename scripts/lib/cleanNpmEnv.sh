# Sourced by the setup and start scripts. `npm run` / `npm start` export their own configuration to
# the scripts they run (npm_config_user_agent "npm/11 node/v20 …", npm_config_local_prefix,
# npm_config_global_prefix, npm_package_*, npm_lifecycle_*, npm_execpath, npm_node_execpath, NODE,
# INIT_CWD, and node_modules/.bin folders on PATH). A nested `npm install` takes every npm_config_*
# value as its own config: code-server's postinstall then reads the outer Node 20 from the user
# agent and refuses to install under Node 24. So every tool install and every code-server starts
# from the environment a terminal would give it.
ml_clean_npm_env() {
  local v
  for v in $(compgen -e); do
    case "$v" in
      npm_*|INIT_CWD|NODE|COLOR) unset "$v" ;; # what npm itself exports (a user's NPM_CONFIG_* stay)
    esac
  done
  # npm prepends <pkg>/node_modules/.bin (and its parents') and node-gyp-bin to PATH.
  local out="" dir
  local IFS=:
  for dir in $PATH; do
    case "$dir" in
      */node_modules/.bin|*/node_modules/npm/node_modules/@npmcli/run-script/lib/node-gyp-bin) ;;
      *) out="${out:+$out:}$dir" ;;
    esac
  done
  export PATH="$out"
}
