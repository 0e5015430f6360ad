import { useQuery } from '@tanstack/react-query';
import { getAuthConfig } from '../api/endpoints';

export function useAuthConfig() {
  return useQuery({ queryKey: ['auth-config'], queryFn: getAuthConfig, staleTime: Infinity });
}
