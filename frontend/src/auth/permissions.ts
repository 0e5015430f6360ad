import type { Role } from '../api/models';

export const canLaunch = (role: Role) => role !== 'viewer';
export const canUpload = (role: Role) => role === 'admin' || role === 'maintainer';
export const seesEveryRun = (role: Role) => role === 'admin' || role === 'viewer';
export const isAdmin = (role: Role) => role === 'admin';
