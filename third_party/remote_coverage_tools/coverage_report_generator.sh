#!/bin/sh
echo "coverage report merging is not available in this offline build" >&2
exit 1
