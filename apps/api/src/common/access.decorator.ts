import { SetMetadata } from '@nestjs/common';

/** Who may call an endpoint: `public` (health, metrics, docs), `read` (default), `admin` (writes and triggers). */
export type AccessLevel = 'public' | 'read' | 'admin';
export const ACCESS_KEY = 'insiders:access';
export const Access = (level: AccessLevel) => SetMetadata(ACCESS_KEY, level);
export const Public = () => Access('public');
export const Admin = () => Access('admin');
