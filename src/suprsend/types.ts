/** Shapes of SuprSend's management API for workspace keys. */

export interface Actor {
  name?: string
  email?: string
}

export interface SigningKey {
  id: string
  uid: string
  status: 'active' | 'rolled' | string
  allowed_domains?: string[] | null
  expiry_at?: string | null
  created_at?: string | null
  created_by?: Actor | null
  rolled_at?: string | null
  rolled_by?: Actor | null
  deleted_at?: string | null
  deleted_by?: Actor | null
}

export interface PublicKey {
  id: string
  /** The `SS.PUBK...` value client SDKs use. Not secret. */
  api_key: string
  name?: string
  allowed_domains?: string[] | null
  is_secure_mode_enabled: boolean
  is_deleted?: boolean
  is_default?: boolean
  created_at?: string | null
  created_by?: Actor | null
  rotated_at?: string | null
  rotated_by?: Actor | null
  updated_at?: string | null
  updated_by?: Actor | null
}

export interface ApiKey {
  id: string
  masked_api_key?: string
  name?: string
  is_deleted?: boolean
  allowed_domains?: string[] | null
  created_at?: string | null
  created_by?: Actor | null
  deleted_at?: string | null
  deleted_by?: Actor | null
}

/** Create answer: the secret is in this answer and nowhere else, ever. */
export interface ApiKeyWithSecret extends ApiKey {
  api_key: string
}

export interface ListPage<T> {
  meta?: { count?: number; limit?: number | null; offset?: number | null }
  results?: T[]
}

export interface ErrorBody {
  code?: number
  error_code?: string
  type?: string
  message?: string
  detail?: string | string[]
}
