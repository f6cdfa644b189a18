-- A chunk's rollups (workload.RollUp): its records counted by day, provider, model, route and
-- outcome. NULL for chunks stored before rollups existed; those are read record by record.
ALTER TABLE workload_chunks ADD COLUMN rollup BLOB;
