/* mcap_int.h - the MCAP format's constants, shared by the reader
 * (mcap_read.c, field-log import) and the writer (mcap_write.c, export):
 * the record opcodes and the magic that opens and closes a file. */
#ifndef PURR_MCAP_INT_H
#define PURR_MCAP_INT_H

#include <stdint.h>

/* Record opcodes (the MCAP specification's "Records" table). */
enum {
    PURR__MCAP_HEADER = 0x01,
    PURR__MCAP_FOOTER = 0x02,
    PURR__MCAP_SCHEMA = 0x03,
    PURR__MCAP_CHANNEL = 0x04,
    PURR__MCAP_MESSAGE = 0x05,
    PURR__MCAP_CHUNK = 0x06,
    PURR__MCAP_MESSAGE_INDEX = 0x07,
    PURR__MCAP_CHUNK_INDEX = 0x08,
    PURR__MCAP_STATISTICS = 0x0B,
    PURR__MCAP_METADATA = 0x0C,
    PURR__MCAP_METADATA_INDEX = 0x0D,
    PURR__MCAP_SUMMARY_OFFSET = 0x0E,
    PURR__MCAP_DATA_END = 0x0F
};

/* The 8 bytes at the start and at the end of every MCAP file (version
 * "0"). */
static const uint8_t purr__mcap_magic[8] = {0x89, 'M', 'C',  'A',
                                            'P',  '0', '\r', '\n'};

#endif /* PURR_MCAP_INT_H */
