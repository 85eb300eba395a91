// How writes of Nodes differ from the generic store's, as upstream's nodeStrategy.
import type { Strategy } from '../strategy.js';

export const nodeStrategy: Strategy = {
  // Nodes report their own status when they register.
  keepsStatusOnCreate: true,
};
