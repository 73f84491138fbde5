export * from './statistics';
export * from './text-statistics';
export * from './agreement';
export * from './elo';
export * from './judge';
export * from './adherence';
export * from './report';
export * from './steerbench';
