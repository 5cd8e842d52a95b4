// The poses of `atlas pose`, apart from its engine code: the schema (and so the site) reads them.
export const POSES = ['identity', 'rot90', 'rot180', 'rot270', 'mirror'] as const;
export type Pose = (typeof POSES)[number];
