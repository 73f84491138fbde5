export { fleissKappa, ratingsToCounts, type FleissKappaResult } from './fleiss-kappa';
