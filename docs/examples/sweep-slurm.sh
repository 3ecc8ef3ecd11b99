#!/bin/sh
# sweep-slurm.sh - a Slurm job array sweeping a scene over seeds 1..10000
# in 4 array tasks (docs/sweeps.md). Submit with `sbatch sweep-slurm.sh`,
# then merge once every task is done:
#   sbatch --dependency=afterany:JOBID --wrap 'purr sweep --merge out'
#
# Each task gets SLURM_ARRAY_TASK_ID (here 0..3: the --array range, whose
# first index is SLURM_ARRAY_TASK_MIN) and SLURM_ARRAY_TASK_COUNT, which
# `purr sweep --shard auto` reads; the range must step by 1.
#SBATCH --job-name=purr-sweep
#SBATCH --array=0-3
#SBATCH --cpus-per-task=2
#SBATCH --output=out/slurm-%a.log
mkdir -p out
exec purr sweep scenes/courier.yaml --seeds 1..10000 --shuffle --shard auto \
    --timeout 30s --junit "out/shard-$SLURM_ARRAY_TASK_ID.xml" \
    --keep-failures out/failures
