#!/bin/sh
echo "hello from ${APP_ENV:-unknown}"
