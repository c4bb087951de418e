-- Retention of execution records (core/workflow: FRONTBASE_EXECUTION_RETENTION):
-- the tick deletes records started before a cutoff in bounded batches, oldest
-- first, which this index serves; the per-workflow row cap uses
-- executions_by_workflow.
CREATE INDEX executions_by_start ON executions (started_at);
