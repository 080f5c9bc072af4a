/* certs_int.h: what certs.c and certs_load.c share; private to the certs module. */
#ifndef OAK_IKE_CERTS_INT_H
#define OAK_IKE_CERTS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/certs.h"

#define CERTS_FILE_MAX (1u << 20) /* as sig_key_load_file */

/* What a file holds: which list of the store it goes to. */
enum certs_kind { CERTS_KIND_CA, CERTS_KIND_CERT, CERTS_KIND_KEY };

/* printf into why (borrowed, whylen bytes) when why is not NULL. */
__attribute__((format(printf, 3, 4))) void certs_why(char *why, size_t whylen, const char *fmt,
						     ...);
/* certs_add_ca / certs_add_cert with the file's path (copied; NULL when added
 * from memory), which messages name instead of `name`. */
int certs_add_ca_at(struct certs_store *s, const uint8_t *buf, size_t len, const char *name,
		    const char *path, char *why, size_t whylen);
int certs_add_cert_at(struct certs_store *s, const uint8_t *buf, size_t len, const char *name,
		      const char *path, char *why, size_t whylen);
/* Whether s already holds the CA, own certificate or key (by name) loaded from path. */
bool certs_store_has_file(const struct certs_store *s, enum certs_kind kind, const char *path);

#endif
