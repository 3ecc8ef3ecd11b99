/* replay_int.h - private declarations shared by the replay's files.
 *
 * check.c runs the replay and fills the report; report.c prints it and
 * writes JUnit XML. They share only the row formatter below. */
#ifndef PURR_REPLAY_INT_H
#define PURR_REPLAY_INT_H

#include "purr/replay.h"

/* Fills row with a transition: seq, time, value name and d's text form,
 * each truncated to fit (a truncated text ends in "..."). */
void purr__replay_row_set(purr_replay_row *row, uint64_t seq,
                          purr_time time_ns, const char *value,
                          const purr_datum *d);

#endif /* PURR_REPLAY_INT_H */
