/**
 * FIXED RSA-2048 KEY PAIRS FOR TESTS ONLY.
 *
 * These private keys are published in this repository on purpose. They exist so that test runs are
 * reproducible and do not spend time on RSA key generation. They protect nothing: never configure a
 * real verifier to trust them, and never use them to sign anything outside a test suite.
 *
 * Generated once with node:crypto generateKeyPairSync('rsa', { modulusLength: 2048 }) and exported as
 * private JWKs (RFC 7517). Use them through {@link deterministicSigningKey} rather than directly.
 *
 * @packageDocumentation
 */

/** Names of the checked-in test key pairs accepted by {@link deterministicSigningKey}. */
export type FixedKeyName = 'mp-1' | 'mp-2' | 'attacker' | 'client-1' | 'client-2' | 'altinn2'

/** A checked-in RSA private JWK (test-only). */
export interface FixedRsaPrivateJwk {
  readonly kty: 'RSA'
  readonly n: string
  readonly e: string
  readonly d: string
  readonly p: string
  readonly q: string
  readonly dp: string
  readonly dq: string
  readonly qi: string
}

/**
 * TEST-ONLY private keys, by name. `mp-1` and `mp-2` stand in for the issuer's current and next
 * signing keys; `attacker` is a key that no trusted JWKS should ever publish; `client-1` and
 * `client-2` are the emulator's sandbox Maskinporten clients (the keys their JWT grants are signed
 * with), so a consumer in a test or demo needs no key generation either. `altinn2` stands in for
 * Altinn 2's token-signing certificate (legacy consent tokens; published with `kid` = `x5t`).
 */
export const FIXED_TEST_KEYS: Readonly<Record<FixedKeyName, FixedRsaPrivateJwk>> = {
  'mp-1': {
    kty: 'RSA',
    n: 'mXGbbAM3CAWrcS1reA0WsQpItLW-gMUFpUsGIgyCjJfkhz1sU6Rx9BRA0qT0slm-xACwzMyBS5asn2IVwyDVNJUgdPrM9eWX0ybk1kOHQiQBHzk7GO2X_RgwWTHmHgrjnP5kpoHQsSIc9ULn3VjR80cj-ewAkGLci0DkqKEoBAxkzhogBEw7l9dqRXuGADSW33EMd_RLMwPQY16cfRQXovCbSBtpb5BEGcKROyXOaB_EwqHrCFI-eTNGTxB1H2HMomg-Lx2BrCHWzBeKqoWs49kgdtySvarou8b6jXD5qTwbP6ckoYqbWG3BTrPjXV0-EamyPjR2mgxUNXEvkdPWLQ',
    e: 'AQAB',
    d: 'AhFAydTFQgtpgu3cu9JZUutTjXPBbFS7Pb3kCENo4uINBzFxqzLVAjffo7brQRfqdROZTjkXKOCP1NnqdyWTGdFEja7vYgTE5ehpPuXMBb0ccsI_pJdW6-cOh7UfZ5o39N6Mlp27JRfTkg5jt1zB_2ge-PgQDeH3HL00F32MX3mR7uKmProPdZVOyYe9awsNl9gXZnkF_puzBavLatmgUTr7pDA-RiMZdVJlwyqjSGEFWTdehpkoLUcKyIdwK4Ee5wcOwN1EDchiUEbk9lEWzXrAvmDuI7jpmS9GKlgH7elnVaPuhINpYyYruiDjpP2WO61rciIaDcMr9BBcVLFIAQ',
    p: 'xn1I3IQYrilW_4b2F_zL00SzeDIpGDcdLB5fryr-p3HdTLGN02pedWMwTNk98dxLrph88jNRt8G_jYnA-eKrUz-BI0Wcl0AtyfBelZp7hRwlZzPKmeJdpGkABdNf7JEDxvXdGZbxPL5m2vnNFYKVXpOUi2C7ULXJqmHUrvI5sgE',
    q: 'xeceDgvayGONWyKuUtLbGSku3gnyfi4lXyk3b5kaB0gumMITGvvPD9K8R_zls6maLnL_ETHeYXsVxRJdfB-i7nioi7bDCpa8EU4uTkwJ1LKqq-Mzc-I-rYlRufvSWVxBPtJDw5eFZNE9cNO1SyKdMJf8eQrU_6lXVIWIF_JXjC0',
    dp: 'pHDxJzgNFmTLXaFbSp414w78vKyZ3STz9zQmw4GUPfcYh0xmGmv6W7hUMKaeKjz_OmO8yA96OQm7_6_Lf3qpw6tN-oHWbHxQMwf_5GN6x9l8p1aCGCEwwV_4E9t9kgjGH1Rb27Jwo4l-vxXLMXHg-9y6aQo3xXMF4zFvuYyV_gE',
    dq: 'bBsMN_AR21VGanpPb77vIJd2mqQkavkaQRlqxvODXGb5zUh2106mlaYwY8KqV7JWHvmCjAoJyIZMJhMaLiu5_Tq8F1YGxUoCAhILCYpP9HiE8tBx0uPMCU_x7P66sUXL_l0t1zJ2E9SZE4ESj7Cg3WKo8BYStHX01p768NnZKSE',
    qi: 't-jX38HRVC8fdNr4P_chb6P6Gy6pOXQFMgul3rvaYTOahftUNyudLfz3kQ3i-E96OBP9Q6VVLdNUXcQ7cp2E2INGHA42iV-V0tzqMyYvS1UsEAWmg4FjBqxOjFCW1g1d_4bN9-nGctKzyTAlyj2fp_hz5BS4Ar4Hk1p_HOX7QiE',
  },
  'mp-2': {
    kty: 'RSA',
    n: 'yuew8rPw5oPryfCjRmiMC3Um3E0os9VSBehVXpwsCTjKo9EMipMNKIlyO9_EpTp008lKz-wFgm1pzOMB3IEfa1zUhchoNXVl64ero9ZXA3VAKIMfiTXq86mhkmRaX0T29ZcqzSKxR6gBFDnSVPnjx0zgttjOa_vZfRKtsa7i0AFMUgybW_pkT0LoPA_XQ-xAfQ67bbUtW8RZkFOg0a7D0Y9oD-1sj36dh4Lj9g5yvrWMp8YCu81K_pmfYGC5mXt1fi8rtuU3XMiqZZIya0P0PZJ7wxSZMjcr8ndQo9admV04J-cS3uFRr4gXV3fSf-_b4oO5myp2Du7BlQsXzdkFiw',
    e: 'AQAB',
    d: 'DqFdJ2rlHGH3vvRceYexTWQxnKHtpOXlR6rEeRFutW2EYwKAUn-e68TZWUrdvYI1CU5S2CIvFYP5JH5b1H_0-YNUiZ71MKGZ6z05mZMrbALo0OL_g5_BJLefAFS_FW5-FiBDxE3TlZSeG0y-B0WLcIPxEg4Y-D1NJdESeCThktjcKjR_x1QNzm2BnLfhNlN5AELzom3tDuY7foPaeT8Mkk2PJ61EuB5kkEdnNFjUhfDRVpZ3D67NdcC8Dt3Vm4uLUArf_7p0GMYROn4yAld7HIVlpP94rvoO3tmMua_QiVEb2oXHJX6h0Za9hOXiAb0Av7PfpSPWogfmB_3FtgwGFQ',
    p: '9Kzgg9y9a0r07FLJ-q8VRFRPOJ0ixziQJAsISUno3D2KmXwNRfwnVddekeG-oNPNu8tWrMWF9APM3x0H7sVYWhdH_3cZDP5eVbfqoR3g4cE1qB2W6T3T5s4ATZybIcN2E79CFaWduq2FH53epQI4uQ5B52enN05CasdZenVrDqU',
    q: '1EviY4NBkfqCXkeCYMFVdsULCRCTSyQi4Qy86y04P8ExZQGp5qEKenCf3Z5Rj4MynYJTq_uKexxgk1Hz3gNJmwEnXfLKoYom8CC5f8Zisg5Az0qGuX36IFYJ37iRvnZwrmIcAClSXMknEaPMbn5WfXOMsrK92Mbf2vein9_TPG8',
    dp: 'luR6vbeHdcDPVWMlPx10zyPzi2WVCim-8wt-u7wCCLlHXaqcgPmlxJHCt9LxfjvBGDyponlaSAeD9GDyAHXiLAVJmKn5YAMLaG-5Gk3T30YJcjl1VTiVEzUeCL85CNSDYGBGQBVYNcVHYR06Lqc1FiNNz4kkHb58xV9VtmjtciU',
    dq: 't7gP68RsGzNqXMKPnsHQ_x6YZTjV7wIPuSh32SHh-rJq15lv-elFkx4iCvz2YjbMt6hQVpYxikbNgNA8NdYsfZqrAc-Z8eAHwGjhfyUkxig1h-5b1uyhaBhtJRGp9uSysQawaqdX4noleEuDH9_vY1N64C50wsOgd_Mz5h0hxbs',
    qi: 'xngI37WHvT960pgX5h7SU0GLwqeqlKFOY5ILYm799mL9vOP10dIyzAx2dAcX1rf_xb29T0bNDRacahRAMJPaz7-kIYr05rEEkstdu4r7flEFlYC39LteHfN-XH3gD40lz9M8lJPZCY4qNrypCTfsJU6mHhCLm7wOF7NtsXJdiV0',
  },
  attacker: {
    kty: 'RSA',
    n: 'wujb2PltLpJm5xGVu9rV99Jv2xfSGTSlR9MF-UY233svAmb0sAHC-ilpZZhHVPX_2IGFMZD-wUEoxsXe0jEtGUDX-GE8-n7WHDHayTa7rcsw52R0GJNddcutqjCocWvHBQ376s8bs06-FM9pOQ3F2rB6ytJw-FlrVZS_T_UwYzE_OiaCfncgrZ6F_1z7mG7cQW3W_W68wi_sE9WBD5cFqXASPaszymlgJsqJfMkx8sEV0AoUqS_TmMQoQropPXTcrDAmQcDajU59cIazAHrANQGtkotKW2LKanWUuPJZOEa2C55uwg9_2sPjUZjCn9qw6ySsl2rp01VCih8r0szKKQ',
    e: 'AQAB',
    d: 'Cyoffbw73tEQB-hf9VTBsOJi-d_RbxQu64BQ9UhqWD7MII0ZMwPG0WGR4fnpDBrTPumcYYx2q0c6OLiY3N1oQewO8vFO9uJRDWhlqeTyty_Oa1K7u7SlQ9wY5IjI_UY5Ljbw2TBn28uE49hFpLj_PlmhjwCi6_bjSRGuK7xVuzi7VDXYB4inIcn5rQJb2syrVMxPvSwrxw-wRJO4-uckAFyX9wPADzIHO6h54djLNnm_30ygh28q6TD9Iai0ckzUepVCTXLO7DYxM35HlFaelySv4hy9zRm_vcGi0jawmCGX1mx9mOnEa64XEmkt9AbGLQLLJw5J0MP62wFANpUboQ',
    p: '6EwcGgtKT3VfICmmQ2jlnqStBwHrkSvtEkOY2HfJRFWk6evl64LL28hDtnLmLqv5rQtv2KdcRtDxna1KMH-AH6bVSsA9RpDfpQWAOSCnrOTPDTSEe0wWTCgc749RfIM9_EsuQj3ZHz_QEjw4IEUkphW34fs8Ih0K7kSNfEU-gq0',
    q: '1swi8QQ-xmo5-pEbuVWNdbQ8esZ2sbVk226Vei2vjULXRhQki1Ft43P1mkd87CPvNfXN7-YGIFPmS6ot8-ZgS5YUjqva10rHrIXK8BSX0dz_0fU89fDqPI3PrCDu0iY5JTlkToSHTQDMn0SM73e2TSICQuoZK-KhXtfFBVovEO0',
    dp: 'slw994FTvU7Ri1BvaLLSG801TXwb84tWq_9bDFptHxrjVPjbwMjc3hQWabAvLQa-3i854ZAfOgCUhAzaOgKrzaG7g3m3kscJ8RsYKMT5-bZ1hB4e2szBEhh6nzXby065-U2AZzw1ydilWlsCfUSZryxd1BWjRk4mZmwcdp50MME',
    dq: 'mYIYsrD7AChouTc9Xg3TZDxkQMZXi5d8tgnpEAFYhhcv7Kh2mY6ffz-fVhwjHkxsJ988x2dYF4B-hLLh1n5dcYeXt4MAin6qBxUzPLMq8VQFDBM89vOvI4mh0n1S0KN6kazbj_XNEG4yztxZ8MZYZfWZMiNFzARSmYqRBss1-d0',
    qi: 'cAiMRDNL9ivAuWs_8DY6DEZA5b37x4Uf4dftyWi-e7H6i9W3FYs-k4TAOzDGhh_wl653nRNZCMqrapWqdc_X_s8h3_LBMAN8m83ExKjjqmPj1GITRjhTR8jGn9po5UJE6yeTcJSW14w6hgdqXM4CxLUGr2OycZf2Whn-xMrNvG0',
  },
  'client-1': {
    kty: 'RSA',
    n: 'tuxvh19gqCxGxrPdwCy41emHRpGGSzPO74lxZ-Moioe6TfofCK7_I21mTU-v4SUbHHCrcTPEzd1x2fihGANu-ShFPnJtsaRDyEev4Be4ZJfRqZc15XWVI-KFls8CArcTXcMZueviiGDQB76Y1v4Tgm07fQp9zEJi97rqpdxfzyIWpNNtuDzzHc29y5RKDKXsqn6WIwKtryPefAdfsIir0fF43f1MfiLD0DONb3LuPaxuTtJyClgzsOGrTYpZmjehzIA1DdaIRQ_l5vHYbR1DaSt53pqlNZ3XGE_hF1QNr1SjvuqsXNdliF2_ikab-gj5c6z21eAV5Xu1dO48XzJxXw',
    e: 'AQAB',
    d: '47LBzGuX5b83sCA1Pa0YZ9j0iuNFnQGLQKErNCY6UOFNsm2m3n2hxSJo4H5RG0ZqePxxwc1Z2D3O0DADAeFEQjcz-ofLWVUgYC4xahbHcRrf4ZBYMUjXB9RGdh3jDX4r8orpezAldvMMAUKU_l9HPxNkTuzAVYJNr2b8r3midDHfwBMq60JWsjHMP-pTnSCi6j-KUxCSK3w4fHl3GREiG146OfmERPn6ZNLgU1nTG0NpDDmC6PIV011BF79FxnimVCDlJhswyi7wf0kOaZbx-4GpSmSZXVqFSVINc7yXl9sSq-D92X3TjlAXEUxWdQaniL7G_9MiSYns2_LKLuXh',
    p: '3dTY9QVB96oxuJSyHy7pvIGUnrZ9ixHWC-guu8JlceJ2OrC-hrQb2Jd8GmAc43KlAceVchFKducZWwTbgcSDjNLyBSUjHYZj0fypcS-eOFFI6Ob5lNTHtnAYr55jOq8erZDCF828ra1v3Xi9wv_8pS8gX3u8ZIoyn-WUiKCPZes',
    q: '0xlkT7u9_Rgilf7hKz6TSML7Rjo5-OtziLFHipEOsGxmn3CQYoN4y5fwRSYu00MxUYAImdbyKONlcAz3Yu4Cd_KA4tUm04gDDoxg3MWL4JeFqgi5QMYYoTbNrrWg_VAviQmC03AwZq3Uddi4dHyzmoMoMLqXzabLl2HtzM99gV0',
    dp: '3IWBgGJPp-MbNoEraXB7j5fJpNWJjDyY6pFQE_s2WbZlDgcyADsAC5rcFmRBk6IegtxjplemDPnD7QWxKRmwJMh3K8I1XF6C0Pc5gnlx8k5sCovCxL-aIbTh9YOg5W-9MZHcQUmXLZhiwmoLStSr1ZI5vnIFYHU5ylayB_iFVS0',
    dq: 'Nl5QzpRM71V6-uTFO20HY_ML4l92tNx3ShpWkaKghOG2YJQOK8EuqEj-keCuqKyilBoEnRKWFd_TLVO5l1ozeo8TkNhTAqICH4oaHGIoj3SW8V8Dz2H1z_eca8XNq9AuHf48GpbHcHqOwLdLcnz3iPEEteAo3sd5ogiPxXMfIOU',
    qi: 'WrcoxxQnNrVMVM3uUr0xxoHEcgb3LLvHURPuyWrdYJv3lYfSO7MYhA7QgRerxEOFTPQHWU3xSCiwngb7F1bfwFsT5VBXQr7hbKOl3Rb0CSMvpV8XhOyJbIzDp_p2vfNTRCSvmspp73nNnBo1si4xOZmGIfpjq0wOE3n_jjvQ9io',
  },
  'client-2': {
    kty: 'RSA',
    n: 'kaHEUWbBlO2a2HMxOaq9_9tV24fmN1gqOw6entmoDHdDmb29M24zmmhcWi7Bj-6MOXc-Oi4-qpWhaWvfA5RpoDoP91NZ-qxEZ3i2uzo7mis7CURAjWhojncJiB_FzIMQMae1q_beeCOE-U5BQBgyM6zwjpLFG8hNjf3__Pm6c_slZmJVYHn3-kqK15KwK9ED3rer5WNuJQJmJqZH_Zpx3NcLRY44tYgYlXR1ZPk-FOCLwxKvEbsVMXxOGFGZ-l3F8fB18L9m-hlZlZb29h-RiUJOQqxtF6y8UAzBACOZR15IaFfICIuKOl3wq3SLp2npzSDvjQWjwDA5GPoCcAmbFQ',
    e: 'AQAB',
    d: 'BKfqlhymJzwCdZWXNwwDp4ysXcimPlI6BWnV_eehBQcCGQX1KNIG4dKg0zxH8XFTt9mdWnBUjhEbGDr75gomZ1o73PEkAQzlYfZ8xxcZRThJGqZ9Ntgl8ZoSKrEzWnK9P40oVH9fxPEDxRGwqdssLbVDepdsKFN60UWT29NjF-adA7C-FYWnNnef--x8rePypPKOKqK4rgU-VJgGn9Cm8AEXPYbg8od3pBO_OKPuEQ6UOy86NHgpEGPaMDQgEwxZ8BMnwWeZhdVdExaipd-lyC-3L8-7hwOP9k5Pl-mMdJuLWMaG5SlTqtyyjZH4dbuRRbA3V1kLHFTnrMl3eCg-kQ',
    p: 'yY7Y7UBztRU7ypvK9px1J4GW6Y3i-sYfC3qVczIITP45dZ-VgE88AURUn_X_UD0gdxE8MGPAocRWoMIzlsXT3vofmof8lbW0tvtZYHYubf61VVd4mjDnUIl0kNMdkCpQ7HMKuK_RGcfwsgTJynvXWrYYB2rwCYu1sB7Xx2pPkgU',
    q: 'uPfKrdPgauT0jIuBw3i9Yzvmnhd-Fzdu15d3GckvZAx16CrUOMrsfn5QhFl8BtSWG2Hn604c9oVB89P8j-AmsV69-GOteaQTJs7vo1Pj3PiqrYeaqLA00pOkY1etj-QGL8f8vE0vgnnlc2aMscAkMsA5_UsPSNj-XiEPx8pZ4dE',
    dp: 'QWZxauI76Sj_oqlUfRqdRPlej1_zo20_y4i2D4_Pc7QVzt2-M8kB7mNOlizK8C01aI0WG5lyesrrVPROqwB70-ES-iBfy_AOuETsZklSnWxFSHC-eEGf_NjtEsT91bZ1VZOqiey6i4P9zLWTCHmQkiV9vIJtapuDk6ceWt1a_kU',
    dq: 'gSc8lW3JWLpv66cJv7SSATV1TVQ4Dfv94Hn5hr7M4X414hvtvY4r3hNTI2bcTGSqP4p4hvwvCw93Qsr1onywZ88wtLzdB3_Cg6mg-Jl-FPBpNOvn2PvYlmTTNy6kmUFt9HUfC1iV4PQ-e_rSKNdyLyG8HBoKHSKvUoihXS703dE',
    qi: 'ExybT5T8WIXvjH074JQtd0ulORBIPYqgsxBl3HNtq8q9TDGOijgFMrOcrkSQkUs_0XdPsSs_FUxBNnaEZwEtEXiIm7lAZpiyD4DDuaYqi6haAwPMz-JwIRxJlcvtP1ZdFCkNSGwMNNia0s10zP4Uan1r5XJjTNVETNAe3DK7PAk',
  },
  altinn2: {
    kty: 'RSA',
    n: 'urrZrY1gYcYkAAmcmAPZxIYkf4I7Ky9xshaAiPr_4nJFtQiauDDg6Z5MBqexvc2RKA9fpqekf5ulYUwNBZT41gQaz0dH3Gp3E1ydCtOwBuKnKPBeVJWiRA4UmAFAMSdFEbGDiajRwEAu0-pE5aV5yF0w8fnk0-lhNOBv2Y40IwE_8g6Kjn7-kcl_dTe6IS0rwRF0W_qCbUlv4S-MGXSA9oc_8AxjOoVIv5Pkgw5eZxwFSEdTq2TNXUAh3UWDkucLuO9Bp_I97wFyfwnmYtWlhDglOHYSYZtwSo8Lbm74UdaXynCbwfisTvwDxik9Lsz_mmkYOtH4xrnv9Yb_ooQZLQ',
    e: 'AQAB',
    d: 'FoRJEvVBGdExjqKaFDekpx7Q4GJVHbZFJMczXTE9MXJ7puKge5UDThCFVOkcVQmolxbRfzBodO3RIbwwtstZvT7196g-CV16Oea5VjCkIZRruVNQ4KzBiijTgWfnNHYqjUFlXfBySJdEvk-Z2sJbPtbD--3ZEtep3d0xh5-u-EhtgG8-fpZZ7EgB7UwFzQsuPGwdHQpNHoDicdNRw3GYgk9GbI2o-iu9fh34YsNJtqihy7KU_ilIFsNw0HMspGA19wwmtRv7EYA-v8tRRBA9A1E8VmYluUbp5wGwa_LIo2JkI0f8X9tGc3ulP7HjtsfaCyiqDWdyNaBaHVvBdTVp2Q',
    p: '8_QgwiaPo8aXFXnE_JseU9AxyjsDun8TLwy6PadJQd0HI_79EHTOR3k6QKd9j5GcRE6vaQT0IWhRvYPTOavImN5fNUYcbqyRjblwtL3R6AXQbJVWsr2KTnlT-4Qead_uf-lDydHm5yVrZbm_n2d1hQLYVZ_E5AZlKKQHKD1uWQU',
    q: 'w_NYJFx4-rWf-q756IhJIIg0xR2rsfMWSlSn-88aaU2-DgBtkF_k5tR0bfzDfzQkekoF505DcR6-FyBLyzWGVzanirOPAdniUx66TniHmtB9tivAfw6laKpEIGxvEY2ottBqVsP38T3v_k2_EOSAiRy6xrOGT6YhdYJWU5womAk',
    dp: 'jd0Wu7Cu8R-INn3kdr1B6p10htTAu1AweLjfCQFiEYIWJ_GdeldiqZ-up3B_DOExTWuwh9LQoSjH9_xT9gKWmYcfOJy35ghGcHM5PnHwQgw3gx1pGHIunqnhk67l_M2zJQEiYZfFvf89sB9PdsQ0TBA2e7x4Q94QL40LeHQY2n0',
    dq: 'T24nPqYVjFtvfCjNuQr1ybAs4_KBFONbF8p1RcfQBvuynO5je3DD0yYwBB3ACaJTXxb-iaLaB9LUb39x-e-6g0PuanUa9T8jVVpRX1nQblsxelUF9Ps05daPQy1xYIYx69lUIdPSgAIBdO6DEw_tYqc4ty8ytLq9OWsaH05fzjE',
    qi: 'iX2jrvZaJ4b7YNBkEZbrAubkSdOYTTFHmXqqs7P4K0fDWe9X7xCcRJvPsYcF8LHZN2TwBpnQ-rzhC389zNiAbGwDwbM7gFrL66pIHR8__leekiFhO9qv_zvv8If62CPxxNKPOGkQGizXul-OrHJ6V_pmyJ4ULtMr8RmPcqD3a5s',
  },
}
