import { createContext, useContext } from 'react';
import type { Me } from '../api/models';

export const CurrentUserContext = createContext<Me | null>(null);

/** The signed-in user; only pages inside the signed-in layout ask. */
export function useCurrentUser(): Me {
  const me = useContext(CurrentUserContext);
  if (!me) throw new Error('useCurrentUser is used outside the signed-in layout');
  return me;
}
