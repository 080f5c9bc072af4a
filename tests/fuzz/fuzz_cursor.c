/* fuzz_cursor: reads a TLV chain with the cursor, as payload decoders do, and
 * checks the cursor's promises: never beyond the buffer, errors sticky. */
#include <stdint.h>
#include <stdlib.h>

#include "lib/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c, sub;
	uint16_t len;
	uint8_t type;
	struct span s;

	cur_init(&c, data, size);
	while (cur_left(&c) > 0) {
		cur_u8(&c, &type);
		cur_u16(&c, &len);
		cur_sub(&c, len, &sub);
		while (cur_ok(&sub) && cur_left(&sub))
			cur_span(&sub, (type & 7) + 1u, &s); /* never 0: it must advance */
		if (!cur_ok(&c))
			break;
	}
	if (c.off > size || (!cur_ok(&c) && cur_left(&c) != 0))
		abort();
	return 0;
}
