/** Maskinporten's `aud` of a token whose client asked for no audience: "not audience-restricted". */
export const UNRESTRICTED_AUDIENCE = 'unspecified'
