export { checkStopStrings, cutAtStop, type StopCut } from './stop-strings';
