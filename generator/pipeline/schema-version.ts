// The generated data's format version, stamped into every file ("schema": SCHEMA). A module of its own so
// that the stages, which stamp it, need not import schema.ts: a stage's code version covers every module it
// reaches (stage-versions.ts), and an edit to what only assemble writes and the site reads (unit.json,
// layer.json) must not rerun hours of renders.
export const SCHEMA = 1;
