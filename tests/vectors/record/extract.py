#!/usr/bin/env python3
"""extract.py SESSION_DIR CAPTURES_DIR KDF_DIR

Helper of record.sh.  Turns one recorded session (SESSION_DIR/meta, SESSION_DIR/cap.pcap,
the initiator's charon log SESSION_DIR/left/charon.log and, when the responder is a
strongSwan too, SESSION_DIR/right/charon.log) into

  CAPTURES_DIR/NAME.txt      every IKE message as on the wire + Wireshark decryption keys
  KDF_DIR/NAME*.txt          key-derivation vectors, one file per negotiated SA

Every key/secret/seed written comes from a hex dump charon itself printed (ike=4,
chd=4: keymat_v2.c / keymat_v1.c), every nonce/KE value/SPI/cookie from the captured
messages.  This script never derives a key: it only decrypts messages with the keys
charon logged (AES-CBC/AES-GCM, python3-cryptography) to read the nonces, KE values
and SPIs carried inside encrypted exchanges, and it checks that the values it writes
are consistent (e.g. charon's logged CHILD seed == g_ir | Ni | Nr from the wire).

meta is 'key = value' lines: name, version, psk, auth, and 'comment = ...' lines.
"""
import os, re, struct, sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESCCM

##############################################################################  tables
V2_PL = {33: 'SA', 34: 'KE', 35: 'IDi', 36: 'IDr', 37: 'CERT', 38: 'CERTREQ', 39: 'AUTH',
         40: 'No', 41: 'N', 42: 'D', 43: 'V', 44: 'TSi', 45: 'TSr', 46: 'SK', 47: 'CP',
         48: 'EAP', 53: 'SKF'}
V1_PL = {1: 'SA', 2: 'P', 3: 'T', 4: 'KE', 5: 'ID', 6: 'CERT', 7: 'CR', 8: 'HASH', 9: 'SIG',
         10: 'NONCE', 11: 'N', 12: 'D', 13: 'VID', 14: 'ATTR', 20: 'NAT-D', 21: 'NAT-OA',
         130: 'NAT-D(draft)', 131: 'NAT-OA(draft)', 132: 'FRAG'}
V2_EX = {34: 'IKE_SA_INIT', 35: 'IKE_AUTH', 36: 'CREATE_CHILD_SA', 37: 'INFORMATIONAL'}
V1_EX = {2: 'Main Mode', 4: 'Aggressive Mode', 5: 'Informational', 6: 'Transaction',
         32: 'Quick Mode'}
V2_NOTIFY = {4: 'INVALID_SYNTAX', 7: 'INVALID_MESSAGE_ID', 14: 'NO_PROPOSAL_CHOSEN',
             17: 'INVALID_KE_PAYLOAD', 24: 'AUTHENTICATION_FAILED', 34: 'SINGLE_PAIR_REQUIRED',
             35: 'NO_ADDITIONAL_SAS', 36: 'INTERNAL_ADDRESS_FAILURE', 37: 'FAILED_CP_REQUIRED',
             38: 'TS_UNACCEPTABLE', 39: 'INVALID_SELECTORS', 43: 'TEMPORARY_FAILURE',
             44: 'CHILD_SA_NOT_FOUND', 16384: 'INITIAL_CONTACT', 16385: 'SET_WINDOW_SIZE',
             16386: 'ADDITIONAL_TS_POSSIBLE', 16387: 'IPCOMP_SUPPORTED',
             16388: 'NAT_DETECTION_SOURCE_IP', 16389: 'NAT_DETECTION_DESTINATION_IP',
             16390: 'COOKIE', 16391: 'USE_TRANSPORT_MODE', 16393: 'REKEY_SA',
             16394: 'ESP_TFC_PADDING_NOT_SUPPORTED', 16395: 'NON_FIRST_FRAGMENTS_ALSO',
             16396: 'MOBIKE_SUPPORTED', 16397: 'ADDITIONAL_IP4_ADDRESS',
             16398: 'ADDITIONAL_IP6_ADDRESS', 16399: 'NO_ADDITIONAL_ADDRESSES',
             16400: 'UPDATE_SA_ADDRESSES', 16402: 'NO_NATS_ALLOWED', 16403: 'AUTH_LIFETIME',
             16404: 'MULTIPLE_AUTH_SUPPORTED', 16405: 'ANOTHER_AUTH_FOLLOWS',
             16406: 'REDIRECT_SUPPORTED', 16417: 'EAP_ONLY_AUTHENTICATION',
             16418: 'CHILDLESS_IKEV2_SUPPORTED', 16420: 'IKEV2_MESSAGE_ID_SYNC_SUPPORTED',
             16421: 'IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED', 16430: 'IKEV2_FRAGMENTATION_SUPPORTED',
             16431: 'SIGNATURE_HASH_ALGORITHMS', 16438: 'INTERMEDIATE_EXCHANGE_SUPPORTED'}
V1_NOTIFY = {14: 'NO-PROPOSAL-CHOSEN', 24: 'AUTHENTICATION-FAILED', 24576: 'RESPONDER-LIFETIME',
             24578: 'INITIAL-CONTACT', 36136: 'R-U-THERE', 36137: 'R-U-THERE-ACK'}

# strongSwan proposal keywords -> IKEv2 transform IDs (RFC 7296 / IANA)
V2_ENCR = {'AES_CBC': 12, 'AES_CTR': 13, 'AES_CCM_8': 14, 'AES_CCM_12': 15, 'AES_CCM_16': 16,
           'AES_GCM_8': 18, 'AES_GCM_12': 19, 'AES_GCM_16': 20, 'CHACHA20_POLY1305': 28}
V2_INTEG = {'HMAC_MD5_96': 1, 'HMAC_SHA1_96': 2, 'AES_XCBC_96': 5, 'HMAC_SHA2_256_128': 12,
            'HMAC_SHA2_384_192': 13, 'HMAC_SHA2_512_256': 14}
V2_PRF = {'PRF_HMAC_MD5': 1, 'PRF_HMAC_SHA1': 2, 'PRF_AES128_XCBC': 4, 'PRF_HMAC_SHA2_256': 5,
          'PRF_HMAC_SHA2_384': 6, 'PRF_HMAC_SHA2_512': 7, 'PRF_AES128_CMAC': 8}
DH = {'MODP_768': 1, 'MODP_1024': 2, 'MODP_1536': 5, 'MODP_2048': 14, 'MODP_3072': 15,
      'MODP_4096': 16, 'ECP_256': 19, 'ECP_384': 20, 'ECP_521': 21, 'CURVE_25519': 31,
      'CURVE_448': 32}
# IKEv1 phase 1 attribute values (RFC 2409 appendix A + IANA)
V1_HASH = {'HMAC_MD5_96': 1, 'HMAC_SHA1_96': 2, 'HMAC_SHA2_256_128': 4,
           'HMAC_SHA2_384_192': 5, 'HMAC_SHA2_512_256': 6}
V1_ENCR = {'AES_CBC': 7, '3DES_CBC': 5}
# IKEv1 IPsec DOI (RFC 2407): ESP transform IDs and authentication algorithm attribute
V1_ESP = {'AES_CBC': 12, '3DES_CBC': 3, 'AES_GCM_16': 20, 'AES_CCM_16': 16}
V1_AUTH = {'HMAC_MD5_96': 1, 'HMAC_SHA1_96': 2, 'HMAC_SHA2_256_128': 5,
           'HMAC_SHA2_384_192': 6, 'HMAC_SHA2_512_256': 7}
ICV = {'HMAC_SHA1_96': 12, 'HMAC_SHA2_256_128': 16, 'HMAC_SHA2_384_192': 24,
       'HMAC_SHA2_512_256': 32, 'HMAC_MD5_96': 12}
WS_INTEG = {'HMAC_SHA1_96': 'HMAC_SHA1_96 [RFC2404]',
            'HMAC_SHA2_256_128': 'HMAC_SHA2_256_128 [RFC4868]',
            'HMAC_SHA2_384_192': 'HMAC_SHA2_384_192 [RFC4868]',
            'HMAC_SHA2_512_256': 'HMAC_SHA2_512_256 [RFC4868]'}


def ws_encr(name, bits):
    if name == 'AES_CBC':
        return 'AES-CBC-%d [RFC3602]' % bits
    m = re.match(r'AES_(GCM|CCM)_(\d+)$', name)
    if m:
        return 'AES-%s-%d with %s octet ICV [RFC5282]' % (m.group(1), bits, m.group(2))
    return None


def parse_proposal(s):
    """'IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048' -> dict"""
    proto, algs = s.split(':', 1)
    r = {'proto': proto, 'text': s}
    for a in algs.split('/'):
        m = re.match(r'(AES_CBC|AES_CTR|AES_GCM_\d+|AES_CCM_\d+|3DES_CBC|CHACHA20_POLY1305)(?:_(\d+))?$', a)
        if m:
            r['encr'], r['encr_keylen'] = m.group(1), int(m.group(2) or 0)
        elif a in V2_INTEG:
            r['integ'] = a
        elif a in V2_PRF:
            r['prf'] = a
        elif a in DH:
            r['dh'] = a
    return r

##############################################################################  charon log
LINE = re.compile(r'^(\S+) (\d+)\[(\w+)\] (?:<(?:([^>|]*)\|)?(\d+)> )?(.*)$')
HDR = re.compile(r'^(.*\S) => (\d+) bytes @ (?:0x)?[0-9a-f]+$')
DUMP = re.compile(r'^\s*(\d+): ((?:[0-9A-F]{2} ?)+)')
CHECKIN = re.compile(r'checkin IKEv(\d) SA (\S+)\[(\d+)\] with SPIs ([0-9a-f]{16})_i ([0-9a-f]{16})_r')
IKE_LABELS = {'shared Diffie Hellman secret', 'SKEYSEED', 'Sk_d secret', 'Sk_ai secret',
              'Sk_ar secret', 'Sk_ei secret', 'Sk_er secret', 'Sk_pi secret', 'Sk_pr secret',
              'SKEYID', 'SKEYID_d', 'SKEYID_a', 'SKEYID_e', 'encryption key Ka', 'initial IV'}
CHD_LABELS = {'DH secret', 'seed', 'initiator SA seed', 'responder SA seed',
              'encryption initiator key', 'encryption responder key',
              'integrity initiator key', 'integrity responder key'}


def parse_log(path):
    """-> (ike_blocks, child_blocks, ivs): hex dumps grouped per derivation, in log order"""
    dumps = []            # (seq, thread, subsys, uid, label, hex)
    events = []           # (seq, thread, kind, data)
    pending = {}          # thread -> [label, nbytes, hex, subsys, uid]
    for seq, line in enumerate(open(path, errors='replace')):
        m = LINE.match(line.rstrip('\n'))
        if not m:
            continue
        _, th, subsys, conn, uid, msg = m.groups()
        p = pending.get(th)
        if p is not None:
            dm = DUMP.match(msg)
            if dm and p[1] * 2 > len(p[2]):
                toks = dm.group(2).split()
                need = (p[1] * 2 - len(p[2])) // 2
                p[2] += ''.join(toks[:min(16, need)]).lower()
                if len(p[2]) == p[1] * 2:
                    dumps.append((p[5], th, p[3], p[4], p[0], p[2]))
                    events.append((p[5], th, 'dump', (p[3], p[4], p[0], p[2])))
                    del pending[th]
                continue
            del pending[th]
        h = HDR.match(msg)
        if h:
            n = int(h.group(2))
            if n == 0:
                events.append((seq, th, 'dump', (subsys, uid, h.group(1), '')))
            else:
                pending[th] = [h.group(1), n, '', subsys, uid, seq]
            continue
        c = CHECKIN.search(msg)
        if c:
            events.append((seq, th, 'checkin', c.groups()))
            continue
        sp = re.search(r'selected proposal: (\S+)', msg)
        if sp:
            events.append((seq, th, 'proposal', (uid, sp.group(1))))
            continue
        iv = re.match(r'next IV for MID (\d+) => (\d+) bytes', msg)
        # "next IV for MID %u %B" -> header "next IV for MID 123 => 16 bytes @ ..." handled by HDR
    events.sort(key=lambda e: e[0])
    ike_blocks, child_blocks, ivs = [], [], []
    open_ike = {}          # thread -> block
    open_child = {}        # thread -> block
    last_prop = {}         # (uid, 'IKE'|'ESP') -> proposal text
    for seq, th, kind, data in events:
        if kind == 'proposal':
            uid, text = data
            last_prop[(uid, text.split(':')[0])] = text
        elif kind == 'checkin':
            ver, name, sa_uid, spi_i, spi_r = data
            b = open_ike.get(th)
            if b is not None and spi_r != '0' * 16:
                b.update(version=int(ver), conn=name, sa_uid=sa_uid, spi_i=spi_i, spi_r=spi_r)
                del open_ike[th]
        elif kind == 'dump':
            subsys, uid, label, hexs = data
            mid = re.match(r'next IV for MID (\d+)$', label)
            if mid:
                ivs.append((uid, int(mid.group(1)), hexs))
                continue
            if subsys == 'IKE' and label in IKE_LABELS:
                b = open_ike.get(th)
                if label == 'shared Diffie Hellman secret' or b is None:
                    b = {'uid': uid, 'keys': {}, 'seq': seq,
                         'proposal': last_prop.get((uid, 'IKE'))}
                    open_ike[th] = b
                    ike_blocks.append(b)
                b['keys'][label] = hexs
            elif subsys == 'CHD' and label in CHD_LABELS:
                b = open_child.get(th)
                start = (label == 'DH secret' or
                         (label in ('seed', 'initiator SA seed') and
                          (b is None or 'seed' in b['keys'] or 'initiator SA seed' in b['keys'])))
                if start or b is None:
                    b = {'uid': uid, 'keys': {}, 'seq': seq,
                         'proposal': last_prop.get((uid, 'ESP'))}
                    open_child[th] = b
                    child_blocks.append(b)
                b['keys'][label] = hexs
                if label == 'integrity responder key' or (
                        label == 'encryption responder key' and 'integ' not in (b['proposal'] or '')):
                    pass
    return ike_blocks, child_blocks, ivs

##############################################################################  capture
def read_pcap(path):
    """classic pcap, Ethernet/IPv4/UDP -> list of (src, sport, dst, dport, payload)"""
    d = open(path, 'rb').read()
    magic = struct.unpack('<I', d[:4])[0]
    en = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    link = struct.unpack(en + 'I', d[20:24])[0]
    off, out = 24, []
    while off + 16 <= len(d):
        _, _, caplen, _ = struct.unpack(en + 'IIII', d[off:off + 16])
        pkt = d[off + 16: off + 16 + caplen]
        off += 16 + caplen
        if link == 1:
            if struct.unpack('>H', pkt[12:14])[0] != 0x0800:
                continue
            ip = pkt[14:]
        elif link == 113:       # Linux cooked
            ip = pkt[16:]
        else:
            ip = pkt
        if ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack('>H', ip[2:4])[0]
        udp = ip[ihl:tot]
        sport, dport, ulen = struct.unpack('>HHH', udp[:6])
        out.append(('.'.join(map(str, ip[12:16])), sport, '.'.join(map(str, ip[16:20])), dport,
                    udp[8:ulen]))
    return out


def payload_chain(first, data, v1):
    """generic payload chain -> list of (type, body) (body without the 4-byte header)"""
    res, t, off = [], first, 0
    while t != 0 and off + 4 <= len(data):
        nxt, ln = data[off], struct.unpack('>H', data[off + 2:off + 4])[0]
        if ln < 4 or off + ln > len(data):
            break
        res.append((t, data[off + 4:off + ln]))
        if not v1 and t in (46, 53):
            break
        t, off = nxt, off + ln
    return res


class Msg:
    pass


def load_messages(pcap):
    msgs = []
    for src, sport, dst, dport, pl in read_pcap(pcap):
        m = Msg()
        m.src, m.sport, m.dst, m.dport, m.wire = src, sport, dst, dport, pl
        if len(pl) == 1 and pl[0] == 0xff:
            m.kind = 'keepalive'
        elif 4500 in (sport, dport):
            m.kind = 'ike' if pl[:4] == b'\0\0\0\0' else 'esp'
        else:
            m.kind = 'ike'
        if m.kind == 'ike':
            ike = pl[4:] if 4500 in (sport, dport) else pl
            m.ike = ike
            m.ispi, m.rspi = ike[0:8].hex(), ike[8:16].hex()
            m.np, m.ver, m.exch, m.flags = ike[16], ike[17], ike[18], ike[19]
            m.mid = struct.unpack('>I', ike[20:24])[0]
            m.v1 = (m.ver >> 4) == 1
            m.payloads = None       # plaintext payload list when known
            m.sk = None
        msgs.append(m)
    return msgs


def decrypt_v2(m, sa):
    """IKEv2 SK payload with charon's keys -> inner payload list (or None)"""
    pl = payload_chain(m.np, m.ike[28:], False)
    if not pl or pl[-1][0] != 46:
        return pl
    outer = pl[:-1]
    first = m.ike[28 + sum(len(b) + 4 for _, b in outer)]
    sk_off = 28 + sum(len(b) + 4 for _, b in outer)
    body = pl[-1][1]
    init = bool(m.flags & 0x08)
    ke = bytes.fromhex(sa['sk_ei'] if init else sa['sk_er'])
    encr = sa['prop']['encr']
    if encr == 'AES_CBC':
        icv = ICV[sa['prop']['integ']]
        iv, ct = body[:16], body[16:len(body) - icv]
        dec = Cipher(algorithms.AES(ke), modes.CBC(iv)).decryptor()
        pt = dec.update(ct) + dec.finalize()
        pt = pt[:len(pt) - pt[-1] - 1]
    elif encr.startswith('AES_GCM') or encr.startswith('AES_CCM'):
        saltlen = 4 if 'GCM' in encr else 3
        icv = int(encr.split('_')[-1])
        key, salt = ke[:-saltlen], ke[-saltlen:]
        iv, ct = body[:8], body[8:]
        aad = m.ike[:sk_off + 4]
        if 'GCM' in encr:
            pt = AESGCM(key).decrypt(salt + iv, ct, aad)
        else:
            pt = AESCCM(key, tag_length=icv).decrypt(salt + iv, ct, aad)
        pt = pt[:len(pt) - pt[-1] - 1]
    else:
        return None
    inner_first = m.ike[sk_off]
    return outer + [(46, b'')] + payload_chain(inner_first, pt, False)


def describe(m):
    if m.kind != 'ike':
        return m.kind
    if m.v1:
        ex = V1_EX.get(m.exch, str(m.exch))
        s = '%s mid=%d%s' % (ex, m.mid, ' (encrypted)' if m.flags & 1 else '')
        names = V1_PL
    else:
        ex = V2_EX.get(m.exch, str(m.exch))
        s = '%s %s %d, %s' % (ex, 'response' if m.flags & 0x20 else 'request', m.mid,
                              'from original initiator' if m.flags & 0x08 else 'from original responder')
        names = V2_PL
    if m.payloads is not None:
        parts = []
        for t, b in m.payloads:
            n = names.get(t, str(t))
            if not m.v1 and t == 41 and len(b) >= 4:
                typ = struct.unpack('>H', b[2:4])[0]
                n = 'N(%s)' % V2_NOTIFY.get(typ, typ)
            if m.v1 and t == 11 and len(b) >= 8:
                typ = struct.unpack('>H', b[6:8])[0]
                n = 'N(%s)' % V1_NOTIFY.get(typ, typ)
            if t == 46:
                n = 'SK{'
            parts.append(n)
        txt = ' '.join(parts)
        if 'SK{' in txt:
            txt = txt.replace('SK{ ', 'SK{').replace('SK{', 'SK {') + ' }'
        s += ' [ %s ]' % txt
    elif m.v1 and m.flags & 1:
        s += ' [ not decrypted ]'
    return s

##############################################################################  helpers
def v2_sa_spis(body):
    """IKEv2 SA payload body -> list of (protocol id, spi hex) per proposal"""
    res, off = [], 0
    while off + 8 <= len(body):
        last, plen, num, proto, spisz = body[off], struct.unpack('>H', body[off + 2:off + 4])[0], \
            body[off + 4], body[off + 5], body[off + 6]
        res.append((proto, body[off + 8: off + 8 + spisz].hex()))
        if last == 0 or plen < 8:
            break
        off += plen
    return res


def v1_sa_spis(body):
    """IKEv1 SA payload body (DOI, situation, proposals) -> list of (protocol, spi hex)"""
    res, off = [], 8
    while off + 8 <= len(body):
        nxt, plen = body[off], struct.unpack('>H', body[off + 2:off + 4])[0]
        proto, spisz = body[off + 5], body[off + 6]
        res.append((proto, body[off + 8: off + 8 + spisz].hex()))
        if nxt == 0 or plen < 8:
            break
        off += plen
    return res


def first(m, t, strip=0):
    for pt, b in (m.payloads or []):
        if pt == t:
            return b[strip:]
    return None


def find_ike_block(blocks, spi_i, spi_r):
    for b in blocks:
        if b.get('spi_i') == spi_i and b.get('spi_r') == spi_r:
            return b
    return None

##############################################################################  main
def main():
    sdir, capdir, kdfdir = sys.argv[1:4]
    meta, comments = {}, []
    for l in open(os.path.join(sdir, 'meta')):
        l = l.rstrip('\n')
        if not l.strip():
            continue
        k, v = l.split('=', 1) if '=' in l else (l, '')
        k, v = k.strip(), v.strip()
        if k == 'comment':
            comments.append(v)
        else:
            meta[k] = v
    name, version = meta['name'], int(meta['version'])
    ike_blocks, child_blocks, ivs = parse_log(os.path.join(sdir, 'left', 'charon.log'))
    rlog = os.path.join(sdir, 'right', 'charon.log')
    r_blocks = parse_log(rlog)[0] if os.path.exists(rlog) else None
    msgs = load_messages(os.path.join(sdir, 'cap.pcap'))
    notes = []

    # ---- IKE SAs: keys per SPI pair
    sas = []
    for b in ike_blocks:
        if 'spi_i' not in b:
            notes.append('a key derivation at log line %d has no SPIs (ignored)' % b['seq'])
            continue
        k = b['keys']
        prop = parse_proposal(b['proposal'])
        sa = {'block': b, 'prop': prop, 'spi_i': b['spi_i'], 'spi_r': b['spi_r'],
              'version': b['version'], 'uid': b['uid'], 'sa_uid': b['sa_uid']}
        if b['version'] == 2:
            sa.update(sk_ei=k['Sk_ei secret'], sk_er=k['Sk_er secret'],
                      sk_ai=k.get('Sk_ai secret', ''), sk_ar=k.get('Sk_ar secret', ''))
        else:
            sa.update(ka=k['encryption key Ka'], iv=k['initial IV'])
        if r_blocks is not None:
            rb = find_ike_block(r_blocks, b['spi_i'], b['spi_r'])
            same = rb is not None and all(rb['keys'].get(x) == v for x, v in k.items()
                                          if x not in ('initial IV',))
            sa['cross'] = same
        sas.append(sa)
    by_spi = {(s['spi_i'], s['spi_r']): s for s in sas}

    # ---- decrypt what we can, to know the payloads of every message
    v1_iv = {}            # (spi_i, mid) -> current IV hex
    seen = {}             # wire bytes -> earlier message (retransmissions)
    for m in msgs:
        if m.kind != 'ike':
            continue
        m.retrans_of = seen.get(m.wire)
        if m.retrans_of is not None:
            m.payloads = m.retrans_of.payloads
            continue
        seen[m.wire] = m
        sa = by_spi.get((m.ispi, m.rspi))
        if not m.v1:
            if m.np != 46 and m.np != 53:
                m.payloads = payload_chain(m.np, m.ike[28:], False)
            elif sa:
                try:
                    m.payloads = decrypt_v2(m, sa)
                except Exception as e:      # noqa
                    notes.append('msg at %s:%d could not be decrypted: %s' % (m.src, m.sport, e))
        else:
            if not m.flags & 1:
                m.payloads = payload_chain(m.np, m.ike[28:], True)
            elif sa:
                key = (m.ispi, m.mid)
                if key not in v1_iv:
                    if m.mid == 0:
                        v1_iv[key] = sa['iv']
                    else:
                        cand = [h for (u, mid, h) in ivs if mid == m.mid and u == sa['sa_uid']]
                        if not cand:
                            cand = [h for (u, mid, h) in ivs if mid == m.mid]
                        if not cand:
                            notes.append('no IV logged for IKEv1 message ID %d' % m.mid)
                            continue
                        v1_iv[key] = cand[0]
                ct = m.ike[28:]
                ct = ct[:len(ct) - len(ct) % 16]
                dec = Cipher(algorithms.AES(bytes.fromhex(sa['ka'])),
                             modes.CBC(bytes.fromhex(v1_iv[key]))).decryptor()
                pt = dec.update(ct) + dec.finalize()
                v1_iv[key] = ct[-16:].hex()
                m.payloads = payload_chain(m.np, pt, True)

    ike_msgs = [m for m in msgs if m.kind == 'ike']

    # ---- capture text file
    lines = ['# golden capture %s, recorded by tests/vectors/record/record.sh' % name]
    lines += ['# ' + c for c in comments]
    lines.append('# %d IKE messages (UDP 500/4500 as captured on the initiator side; NAT-T '
                 'keepalives and ESP-in-UDP packets are left out of the msg lines)' % len(ike_msgs))
    n = 0
    for m in msgs:
        if m.kind != 'ike':
            continue
        n += 1
        m.n = n
        rt = ''
        if m.retrans_of is not None:
            rt = ' -- retransmission of msg %d (identical bytes)' % m.retrans_of.n
            if m.v1 and m.flags & 1:
                rt += '; tshark decrypts it as garbage ("Malformed") since it chains the CBC IV from msg %d' % (n - 1)
        lines.append('#   msg %d: %s:%d -> %s:%d %s%s' % (n, m.src, m.sport, m.dst, m.dport, describe(m), rt))
    skipped = [m for m in msgs if m.kind != 'ike']
    if skipped:
        lines.append('# not in msg lines: %d packet(s): %s' % (
            len(skipped), ', '.join(sorted(set(m.kind for m in skipped)))))
    lines.append('# keys: taken from the initiator charon\'s log (ike = 4)%s' % (
        '; the responder charon logged identical keys for every SA'
        if sas and all(s.get('cross') for s in sas) else ''))
    for s in sas:
        p = s['prop']
        if s['version'] == 2:
            if not ws_encr(p['encr'], p['encr_keylen']):
                lines.append('# NOTE: Wireshark has no decryption support for %s' % p['encr'])
            if p.get('integ') is None:
                lines.append('# AEAD (%s): no integrity keys; Wireshark integ = "NONE [RFC4306]", '
                             'sk_ai/sk_ar empty' % p['encr'])
    lines.append('session %s' % name)
    lines.append('ike_version %d' % version)
    for s in sas:
        p = s['prop']
        if s['version'] == 2:
            integ = WS_INTEG.get(p.get('integ'), 'NONE [RFC4306]')
            lines.append('ikev2_keys spi_i=%s spi_r=%s sk_ei=%s sk_er=%s encr="%s" sk_ai=%s sk_ar=%s integ="%s"'
                         % (s['spi_i'], s['spi_r'], s['sk_ei'], s['sk_er'],
                            ws_encr(p['encr'], p['encr_keylen']), s['sk_ai'], s['sk_ar'], integ))
        else:
            lines.append('ikev1_keys cky_i=%s enc_key=%s' % (s['spi_i'], s['ka']))
    n = 0
    for m in msgs:
        if m.kind != 'ike':
            continue
        n += 1
        lines.append('msg %d %s:%d -> %s:%d %s' % (n, m.src, m.sport, m.dst, m.dport, m.wire.hex()))
    open(os.path.join(capdir, name + '.txt'), 'w').write('\n'.join(lines) + '\n')

    # ---- KDF vectors
    files = kdf_vectors(name, meta, comments, sas, child_blocks, ike_msgs, ivs, notes)
    for fn, body in files:
        open(os.path.join(kdfdir, fn), 'w').write(body)
    for x in notes:
        print('extract.py %s: note: %s' % (name, x))
    print('extract.py %s: %d messages, %d IKE SA(s), kdf files: %s' % (
        name, len(ike_msgs), len(sas), ' '.join(f for f, _ in files)))


def kv(lines, k, v, src=None):
    lines.append('%s = %s' % (k, v))


def kdf_vectors(name, meta, comments, sas, child_blocks, msgs, ivs, notes):
    files = []
    used_children = set()
    psk = meta.get('psk', '')
    hdr = ['# key-derivation vector from session %s (tests/vectors/captures/%s.txt),' % (name, name),
           '# recorded by tests/vectors/record/record.sh; peers/proposals:']
    hdr += ['#   ' + c for c in comments[:3]]
    for idx, sa in enumerate(sas):
        p, k = sa['prop'], sa['block']['keys']
        L = list(hdr)
        if sa['version'] == 2:
            # which exchange created this SA?
            init_resp = [m for m in msgs if not m.v1 and m.exch == 34 and m.flags & 0x20
                         and m.ispi == sa['spi_i'] and m.rspi == sa['spi_r']]
            rekey = None
            if init_resp:
                resp = init_resp[-1]
                req = [m for m in msgs if not m.v1 and m.exch == 34 and not m.flags & 0x20
                       and m.ispi == sa['spi_i'] and msgs.index(m) < msgs.index(resp)][-1]
                ni, nr = first(req, 40).hex(), first(resp, 40).hex()
                src = 'IKE_SA_INIT request/response Nonce payloads (plain)'
            else:
                # rekeyed IKE SA: CREATE_CHILD_SA whose SA payloads carry the new SPIs
                req = resp = None
                for m in msgs:
                    if m.v1 or m.exch != 36 or not m.payloads:
                        continue
                    sab = first(m, 33)
                    if sab is None:
                        continue
                    spis = [s for pr, s in v2_sa_spis(sab) if pr == 1]
                    if not m.flags & 0x20 and sa['spi_i'] in spis:
                        req = m
                    if m.flags & 0x20 and sa['spi_r'] in spis and req is not None:
                        resp = m
                        break
                if req is None or resp is None:
                    notes.append('IKE SA %s/%s: creating exchange not found' % (sa['spi_i'], sa['spi_r']))
                    continue
                ni, nr = first(req, 40).hex(), first(resp, 40).hex()
                src = 'CREATE_CHILD_SA (IKE rekey) request/response Nonce payloads (decrypted with the old SA\'s keys)'
                old = by_spis(sas, req.ispi, req.rspi)
                rekey = old
            fn = '%s%s.txt' % (name, '' if idx == 0 else ('-ike-rekey' if rekey else '-sa%d' % (idx + 1)))
            L.append('# IKE SA %s_i %s_r, proposal %s' % (sa['spi_i'], sa['spi_r'], p['text']))
            L.append('# sources: g_ir, skeyseed and every sk_* are charon hex dumps (keymat_v2.c '
                     'derive_ike_keys, "shared Diffie Hellman secret", "SKEYSEED", "Sk_* secret", '
                     'ike = 4) from the initiator\'s log; spi_i/spi_r from the IKE header and charon\'s '
                     '"checkin ... with SPIs" line; ni/nr from the %s.' % src)
            if sa.get('cross'):
                L.append('# the responder charon logged the same g_ir/skeyseed/sk_* for these SPIs.')
            if rekey:
                L.append('# IKE SA rekey (RFC 7296 2.18): SKEYSEED = prf(sk_d_old, g_ir | ni | nr); '
                         'sk_d_old = "Sk_d secret" of the old IKE SA %s_i %s_r (same log); its PRF is '
                         'the same as the new one here.' % (rekey['spi_i'], rekey['spi_r']))
            kv(L, 'version', 2)
            kv(L, 'prf', V2_PRF[p['prf']])
            kv(L, 'encr', V2_ENCR[p['encr']])
            kv(L, 'encr_keylen', p['encr_keylen'])
            if p.get('integ'):
                kv(L, 'integ', V2_INTEG[p['integ']])
            else:
                L.append('# AEAD: no integrity transform (integ = 0, NONE), no sk_ai/sk_ar; '
                         'sk_ei/sk_er include the %d-byte salt at the end' %
                         (4 if 'GCM' in p['encr'] else 3))
                kv(L, 'integ', 0)
            kv(L, 'dh_group', DH[p['dh']])
            kv(L, 'spi_i', sa['spi_i'])
            kv(L, 'spi_r', sa['spi_r'])
            kv(L, 'ni', ni)
            kv(L, 'nr', nr)
            if rekey:
                kv(L, 'sk_d_old', rekey['block']['keys']['Sk_d secret'])
                kv(L, 'old_spi_i', rekey['spi_i'])
                kv(L, 'old_spi_r', rekey['spi_r'])
            kv(L, 'g_ir', k['shared Diffie Hellman secret'])
            kv(L, 'skeyseed', k['SKEYSEED'])
            kv(L, 'sk_d', k['Sk_d secret'])
            if p.get('integ'):
                kv(L, 'sk_ai', k['Sk_ai secret'])
                kv(L, 'sk_ar', k['Sk_ar secret'])
            kv(L, 'sk_ei', k['Sk_ei secret'])
            kv(L, 'sk_er', k['Sk_er secret'])
            kv(L, 'sk_pi', k['Sk_pi secret'])
            kv(L, 'sk_pr', k['Sk_pr secret'])
            # CHILD SA created together with this IKE SA (IKE_AUTH)
            if init_resp:
                for ci, cb in enumerate(child_blocks):
                    ck = cb['keys']
                    if ci in used_children or ck.get('seed') != ni + nr:
                        continue
                    auth = [m for m in msgs if not m.v1 and m.exch == 35 and m.ispi == sa['spi_i']
                            and m.rspi == sa['spi_r'] and m.payloads and first(m, 33) is not None]
                    if len(auth) < 2:
                        continue
                    used_children.add(ci)
                    L.append('# CHILD SA negotiated in IKE_AUTH (no PFS): KEYMAT = prf+(sk_d, ni | nr); '
                             'child keys are charon hex dumps (keymat_v2.c derive_child_keys, chd = 4: '
                             '"seed", "encryption/integrity initiator/responder key"); charon\'s logged '
                             'seed equals ni | nr above; child_spi_i/_r from the decrypted IKE_AUTH SA payloads.')
                    child_kv(L, cb, auth[0], auth[-1], ni, nr)
            files.append((fn, '\n'.join(L) + '\n'))
            # CHILD SAs created by CREATE_CHILD_SA on this IKE SA
            for ci, cb in enumerate(child_blocks):
                if ci in used_children:
                    continue
                ck = cb['keys']
                if 'seed' not in ck:
                    continue
                ex = None
                for m in msgs:
                    if m.v1 or m.exch != 36 or m.flags & 0x20 or not m.payloads:
                        continue
                    if (m.ispi, m.rspi) != (sa['spi_i'], sa['spi_r']):
                        continue
                    sab = first(m, 33)
                    if sab is None or not [1 for pr, s in v2_sa_spis(sab) if pr == 3]:
                        continue
                    resp = [r for r in msgs if not r.v1 and r.exch == 36 and r.flags & 0x20 and
                            r.mid == m.mid and (r.ispi, r.rspi) == (m.ispi, m.rspi) and r.payloads]
                    if not resp:
                        continue
                    if ck['seed'].endswith(first(m, 40).hex() + first(resp[0], 40).hex()):
                        ex = (m, resp[0])
                        break
                if not ex:
                    continue
                used_children.add(ci)
                C = list(hdr)
                C.append('# CHILD SA created by CREATE_CHILD_SA (message ID %d) on IKE SA %s_i %s_r'
                         % (ex[0].mid, sa['spi_i'], sa['spi_r']))
                rek = [b for t, b in ex[0].payloads if t == 41 and len(b) >= 4 and
                       struct.unpack('>H', b[2:4])[0] == 16393]
                if rek:
                    C.append('# (a CHILD SA rekey: the request carries N(REKEY_SA) for SPI %s)'
                             % rek[0][4:4 + rek[0][1]].hex())
                C.append('# KEYMAT = prf+(sk_d, [child_g_ir |] child_ni | child_nr) (RFC 7296 2.17); '
                         'sk_d/prf of the IKE SA; child_g_ir ("DH secret"), seed and child keys are '
                         'charon hex dumps (chd = 4); child_ni/child_nr/child_spi_*/KE from the decrypted '
                         'CREATE_CHILD_SA messages; charon\'s seed equals child_g_ir | child_ni | child_nr.')
                kv(C, 'version', 2)
                kv(C, 'prf', V2_PRF[p['prf']])
                kv(C, 'spi_i', sa['spi_i'])
                kv(C, 'spi_r', sa['spi_r'])
                kv(C, 'sk_d', k['Sk_d secret'])
                child_kv(C, cb, ex[0], ex[1], first(ex[0], 40).hex(), first(ex[1], 40).hex())
                files.append(('%s-child-mid%d.txt' % (name, ex[0].mid), '\n'.join(C) + '\n'))
        else:
            files += v1_vectors(name, hdr, sa, sas, child_blocks, msgs, ivs, psk, meta, notes,
                                used_children, idx)
    return files


def by_spis(sas, i, r):
    for s in sas:
        if s['spi_i'] == i and s['spi_r'] == r:
            return s
    return None


def child_kv(L, cb, req, resp, ni, nr):
    ck = cb['keys']
    cp = parse_proposal(cb['proposal']) if cb['proposal'] else {}
    spi_i = [s for pr, s in v2_sa_spis(first(req, 33)) if pr == 3]
    spi_r = [s for pr, s in v2_sa_spis(first(resp, 33)) if pr == 3]
    dh = ck.get('DH secret', '')
    assert ck['seed'] == dh + ni + nr, 'child seed mismatch'
    L.append('# CHILD proposal: %s' % cb['proposal'])
    kv(L, 'child_encr', V2_ENCR[cp['encr']])
    kv(L, 'child_encr_keylen', cp['encr_keylen'])
    kv(L, 'child_integ', V2_INTEG[cp['integ']] if cp.get('integ') else 0)
    if dh:
        kv(L, 'child_dh_group', DH[cp['dh']])
    kv(L, 'child_spi_i', spi_i[0] if spi_i else '')
    kv(L, 'child_spi_r', spi_r[0] if spi_r else '')
    kv(L, 'child_ni', ni)
    kv(L, 'child_nr', nr)
    if dh:
        kv(L, 'child_ke_i', first(req, 34)[4:].hex())
        kv(L, 'child_ke_r', first(resp, 34)[4:].hex())
        kv(L, 'child_g_ir', dh)
    ei, er = ck.get('encryption initiator key', ''), ck.get('encryption responder key', '')
    ai, ar = ck.get('integrity initiator key', ''), ck.get('integrity responder key', '')
    L.append('# KEYMAT order (RFC 7296 2.17): child_encr_i | child_integ_i | child_encr_r | child_integ_r'
             ' (the _i keys protect initiator->responder traffic, i.e. the SA with SPI child_spi_r)')
    kv(L, 'child_encr_i', ei)
    kv(L, 'child_integ_i', ai)
    kv(L, 'child_encr_r', er)
    kv(L, 'child_integ_r', ar)
    kv(L, 'keymat', ei + ai + er + ar)


def v1_vectors(name, hdr, sa, sas, child_blocks, msgs, ivs, psk, meta, notes, used, idx):
    files = []
    p, k = sa['prop'], sa['block']['keys']
    ph1 = [m for m in msgs if m.v1 and m.ispi == sa['spi_i'] and m.exch in (2, 4) and m.payloads]
    i_msgs = [m for m in ph1 if m.src == ph1[0].src]
    r_msgs = [m for m in ph1 if m.src != ph1[0].src]
    kei = next(first(m, 4) for m in i_msgs if first(m, 4) is not None)
    ker = next(first(m, 4) for m in r_msgs if first(m, 4) is not None)
    ni = next(first(m, 10) for m in i_msgs if first(m, 10) is not None)
    nr = next(first(m, 10) for m in r_msgs if first(m, 10) is not None)
    mode = 'Aggressive Mode' if ph1[0].exch == 4 else 'Main Mode'
    auth = meta.get('auth', 'psk')
    L = list(hdr)
    L.append('# ISAKMP SA %s_i %s_r (%s), proposal %s' % (sa['spi_i'], sa['spi_r'], mode, p['text']))
    L.append('# sources: g_xy, skeyid*, enc_key and iv are charon hex dumps (keymat_v1.c derive_ike_keys: '
             '"shared Diffie Hellman secret", "SKEYID", "SKEYID_d", "SKEYID_a", "SKEYID_e", '
             '"encryption key Ka", "initial IV"; ike = 4) from the initiator\'s log; cky_i/cky_r from the '
             'ISAKMP header; ni/nr and g_xi/g_xr are the Nonce and KE payload bodies of the (plain) %s '
             'messages%s.' % (mode, '; psk is the configured pre-shared key (ASCII bytes)' if auth == 'psk' else ''))
    if sa.get('cross'):
        L.append('# the responder charon logged the same g_xy/skeyid*/enc_key for these cookies.')
    if p['encr_keylen'] // 8 > len(k['SKEYID_e']) // 2:
        L.append('# enc_key needs RFC 2409 appendix B: %d-byte key from a %d-byte SKEYID_e '
                 '(Ka = K1 | K2, K1 = prf(SKEYID_e, 0x00), K2 = prf(SKEYID_e, K1), truncated)'
                 % (p['encr_keylen'] // 8, len(k['SKEYID_e']) // 2))
    else:
        L.append('# enc_key = SKEYID_e truncated to the key length (no appendix-B extension needed)')
    L.append('# iv = hash(g_xi | g_xr) truncated to the cipher block size (RFC 2409 appendix B)')
    kv(L, 'version', 1)
    kv(L, 'auth', 'psk' if auth == 'psk' else 'sig')
    if auth != 'psk':
        L.append('# auth method in the SA payload: %s' % meta.get('auth_method', auth))
    kv(L, 'hash', V1_HASH[p['integ']])
    kv(L, 'encr', V1_ENCR[p['encr']])
    kv(L, 'encr_keylen', p['encr_keylen'])
    kv(L, 'dh_group', DH[p['dh']])
    kv(L, 'cky_i', sa['spi_i'])
    kv(L, 'cky_r', sa['spi_r'])
    kv(L, 'ni', ni.hex())
    kv(L, 'nr', nr.hex())
    kv(L, 'g_xi', kei.hex())
    kv(L, 'g_xr', ker.hex())
    kv(L, 'g_xy', k['shared Diffie Hellman secret'])
    if auth == 'psk':
        kv(L, 'psk', psk.encode().hex())
    kv(L, 'skeyid', k['SKEYID'])
    kv(L, 'skeyid_d', k['SKEYID_d'])
    kv(L, 'skeyid_a', k['SKEYID_a'])
    kv(L, 'skeyid_e', k['SKEYID_e'])
    kv(L, 'enc_key', k['encryption key Ka'])
    kv(L, 'iv', k['initial IV'])
    base, ph1_only = L, list(L)
    # Quick Modes on this ISAKMP SA
    qms = []
    for m in msgs:
        if not (m.v1 and m.exch == 32 and m.ispi == sa['spi_i'] and m.payloads):
            continue
        if m.src == ph1[0].src and first(m, 10) is not None and m.mid not in [q[0].mid for q in qms]:
            resp = [r for r in msgs if r.v1 and r.exch == 32 and r.mid == m.mid and r.src != m.src
                    and r.payloads and first(r, 10) is not None]
            qms.append((m, resp[0] if resp else None))
    nq = 0
    for req, resp in qms:
        if resp is None:
            notes.append('Quick Mode mid %d has no response in the capture' % req.mid)
            continue
        qni, qnr = first(req, 10).hex(), first(resp, 10).hex()
        cb = None
        for ci, c in enumerate(child_blocks):
            if ci not in used and c['keys'].get('initiator SA seed', '').endswith(qni + qnr):
                cb = c
                used.add(ci)
                break
        if cb is None:
            notes.append('Quick Mode mid %d: no key derivation in the log' % req.mid)
            continue
        ck = cb['keys']
        cp = parse_proposal(cb['proposal'])
        spi_i = [s for pr, s in v1_sa_spis(first(req, 1)) if pr == 3][0]
        spi_r = [s for pr, s in v1_sa_spis(first(resp, 1)) if pr == 3][0]
        dh = ck.get('DH secret', '')
        assert ck['initiator SA seed'] == dh + '03' + spi_r + qni + qnr, 'QM seed (i) mismatch'
        assert ck['responder SA seed'] == dh + '03' + spi_i + qni + qnr, 'QM seed (r) mismatch'
        qiv = [h for (u, mid, h) in ivs if mid == req.mid]
        Q = base if nq == 0 else list(ph1_only)
        Q.append('# Quick Mode message ID %d (0x%08x)%s: KEYMAT = prf(SKEYID_d, [qm_g_xy |] protocol | SPI | '
                 'Ni_b | Nr_b), extended K1 | K2 ... with Kn+1 = prf(SKEYID_d, Kn | seed) (RFC 2409 5.5)'
                 % (req.mid, req.mid, ' with PFS' if dh else ' without PFS'))
        Q.append('# sources: qm_ni/qm_nr/qm_spi_*/qm_ke_* from the Quick Mode messages decrypted with enc_key '
                 'and the logged IVs; qm_iv is charon\'s "next IV for MID %d" (first one, = hash(last phase 1 '
                 'CBC block | M-ID)); qm_g_xy ("DH secret"), qm_seed_* ("initiator/responder SA seed") and '
                 'the keys are charon hex dumps (keymat_v1.c derive_child_keys, chd = 4). charon\'s seeds '
                 'equal [qm_g_xy |] 03 | SPI | qm_ni | qm_nr.' % req.mid)
        Q.append('# qm_spi_i = SPI proposed by the initiator (inbound at the initiator), qm_spi_r = SPI of the '
                 'responder. The "_i" keys protect initiator->responder traffic and are derived with qm_spi_r '
                 '(seed_i), the "_r" keys with qm_spi_i (seed_r).  ESP proposal: %s' % cb['proposal'])
        kv(Q, 'qm_msgid', '%08x' % req.mid)
        if qiv:
            kv(Q, 'qm_iv', qiv[0])
        kv(Q, 'qm_protocol', 3)
        kv(Q, 'qm_encr', V1_ESP[cp['encr']])
        kv(Q, 'qm_encr_keylen', cp['encr_keylen'])
        kv(Q, 'qm_integ', V1_AUTH[cp['integ']] if cp.get('integ') else 0)
        kv(Q, 'qm_spi_i', spi_i)
        kv(Q, 'qm_spi_r', spi_r)
        kv(Q, 'qm_ni', qni)
        kv(Q, 'qm_nr', qnr)
        if dh:
            kv(Q, 'qm_dh_group', DH[cp['dh']])
            kv(Q, 'qm_ke_i', first(req, 4).hex())
            kv(Q, 'qm_ke_r', first(resp, 4).hex())
            kv(Q, 'qm_g_xy', dh)
        kv(Q, 'qm_seed_i', ck['initiator SA seed'])
        kv(Q, 'qm_seed_r', ck['responder SA seed'])
        ei, er = ck.get('encryption initiator key', ''), ck.get('encryption responder key', '')
        ai, ar = ck.get('integrity initiator key', ''), ck.get('integrity responder key', '')
        kv(Q, 'qm_encr_i', ei)
        kv(Q, 'qm_integ_i', ai)
        kv(Q, 'qm_encr_r', er)
        kv(Q, 'qm_integ_r', ar)
        kv(Q, 'qm_keymat_i', ei + ai)
        kv(Q, 'qm_keymat_r', er + ar)
        if nq > 0:
            files.append(('%s-qm%d.txt' % (name, nq + 1), '\n'.join(Q) + '\n'))
        nq += 1
    fn = name + ('' if idx == 0 else '-sa%d' % (idx + 1))
    files.insert(0, (fn + '.txt', '\n'.join(base) + '\n'))
    return files


if __name__ == '__main__':
    main()
