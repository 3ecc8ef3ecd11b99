# embed_schema.cmake - writes schema.sql as a NUL-terminated C byte array.
# Usage: cmake -DIN=schema.sql -DOUT=schema_sql.c -P embed_schema.cmake
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n    " bytes "${bytes}")
file(WRITE ${OUT}
"/* schema_sql.c - generated from recorder/schema.sql; do not edit. */
extern const char purr__recorder_schema[];
const char purr__recorder_schema[] = {
    ${bytes}0x00};
")
