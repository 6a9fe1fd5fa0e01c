#!/bin/sh
# core/ must never include httpd headers: it is shared by ocsp-lint and the module.
top=${top_srcdir:-$(dirname "$0")/..}
bad=$(grep -nE '#[[:space:]]*include[[:space:]]*[<"](httpd|http_[a-z_]+|ap_[a-z_]+|mod_[a-z_]+|util_[a-z_]+)\.h' "$top"/core/*.c "$top"/core/*.h)
if [ -n "$bad" ]; then
    echo "FAIL: core/ includes httpd headers:"
    echo "$bad"
    exit 1
fi
echo "PASS: core/ includes no httpd headers"
