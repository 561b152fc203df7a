# Start-up file of the terminals that `make lab` opens (bash --rcfile this -i).
# First what an interactive bash would read anyway, then the course's environment goes first on
# PATH, as `source .venv/bin/activate` would do: ~/.bashrc or /etc/profile may put another python
# (pyenv, conda, the system's) in front, and the course's commands need the course's python.
[ -f /etc/bash.bashrc ] && . /etc/bash.bashrc
[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"
if [ -n "$CALCML_ENV_BIN" ]; then
    PATH="$CALCML_ENV_BIN:$PATH"
    export PATH
    hash -r
fi
