#include "wire/header.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

void wire_err_set(struct wire_err *e, size_t offset, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	e->offset = offset;
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
}

int isakmp_hdr_decode(struct cursor *c, struct isakmp_hdr *h, struct wire_err *err)
{
	size_t start = c->off, total = cur_left(c);
	uint8_t ver = 0;

	cur_copy(c, h->spi_i, IKE_SPI_LEN);
	cur_copy(c, h->spi_r, IKE_SPI_LEN);
	cur_u8(c, &h->next_payload);
	cur_u8(c, &ver);
	cur_u8(c, &h->exchange);
	cur_u8(c, &h->flags);
	cur_u32(c, &h->msg_id);
	cur_u32(c, &h->length);
	h->major = ver >> 4;
	h->minor = ver & 0x0f;
	if (!cur_ok(c)) {
		wire_err_set(err, 0,
			     "message of %zu bytes is shorter than the %d-byte ISAKMP header",
			     total, ISAKMP_HDR_LEN);
		return -EBADMSG;
	}
	if (h->length < ISAKMP_HDR_LEN || h->length != total) {
		wire_err_set(err, start + 24,
			     "header Length %u does not match the datagram's %zu bytes", h->length,
			     total);
		return -EBADMSG;
	}
	return 0;
}

int isakmp_hdr_encode(struct builder *b, const struct isakmp_hdr *h)
{
	bld_bytes(b, h->spi_i, IKE_SPI_LEN);
	bld_bytes(b, h->spi_r, IKE_SPI_LEN);
	bld_u8(b, h->next_payload);
	bld_u8(b, (uint8_t)(h->major << 4 | (h->minor & 0x0f)));
	bld_u8(b, h->exchange);
	bld_u8(b, h->flags);
	bld_u32(b, h->msg_id);
	return bld_u32(b, h->length);
}

int isakmp_hdr_patch_length(struct builder *b, size_t hdr_off)
{
	return bld_put_u32_at(b, hdr_off + 24, (uint32_t)(bld_off(b) - hdr_off));
}

unsigned isakmp_peek_major(const uint8_t *msg, size_t len)
{
	return len >= ISAKMP_HDR_LEN ? msg[17] >> 4 : 0;
}
