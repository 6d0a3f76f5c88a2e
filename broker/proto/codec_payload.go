package proto

import (
	"slices"
	"strconv"
)

// rng is splitmix64: tiny, fast and good enough to make bytes look like data.
type rng uint64

func (r *rng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	return mix(uint64(*r))
}

func seed(kind PayloadKind, id int64, size int) rng {
	r := rng(uint64(id)*0x2545f4914f6cdd1d ^ uint64(kind)<<56 ^ uint64(size)<<20)
	r.next()
	return r
}

// words is a small vocabulary with a skewed pick, so text compresses like prose.
var words = []string{
	"the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with",
	"be", "by", "on", "not", "he", "this", "are", "or", "his", "from", "at", "which",
	"but", "have", "an", "had", "they", "you", "were", "their", "one", "all", "we", "can",
	"her", "has", "there", "been", "if", "more", "when", "will", "would", "who", "so",
	"order", "payment", "customer", "shipped", "warehouse", "account", "balance",
	"invoice", "delivery", "region", "status", "pending", "confirmed", "cancelled",
}

var syllables = []string{
	"ka", "ri", "mo", "ten", "sul", "ba", "de", "fi", "gor", "hu", "lin", "ma", "ne", "op", "pra",
	"qui", "ros", "sa", "tu", "vel", "wen", "xi", "yo", "zan", "al", "ber", "cor", "dun", "el", "fra",
	"gin", "hal", "is", "jor", "kel", "lum", "mir", "nor", "ost", "pel", "ran", "sto", "tri", "ur",
}

var events = []string{"click", "view", "purchase", "refund", "login", "logout", "search", "add_to_cart"}

// Payload appends the value bytes of a record to dst and returns the extended slice.
// The bytes depend only on (kind, id, size).
func Payload(kind PayloadKind, id int64, size int, dst []byte) []byte {
	r := seed(kind, id, size)
	start := len(dst)
	switch kind {
	case PayloadText:
		for len(dst)-start < size {
			x := r.next()
			if x>>60 < 7 {
				// A made-up word of 1 to 4 syllables: prose has a long tail of
				// rare words that a small vocabulary would not show.
				for n := 1 + int(x>>20&3); n > 0; n-- {
					dst = append(dst, syllables[x%uint64(len(syllables))]...)
					x /= uint64(len(syllables))
				}
				dst = append(dst, ' ')
				continue
			}
			// Square the uniform draw to skew towards the frequent words.
			i := int((x & 0xffff) * (x & 0xffff) >> 32 * uint64(len(words)) >> 32)
			dst = append(dst, words[i]...)
			if x>>40&7 == 0 {
				dst = append(dst, '.', ' ')
			} else {
				dst = append(dst, ' ')
			}
		}
	case PayloadZeros:
		dst = slices.Grow(dst, size)[:start+size]
		clear(dst[start:])
	case PayloadJSON:
		for n := 0; len(dst)-start < size; n++ {
			x := r.next()
			dst = append(dst, `{"id":`...)
			dst = strconv.AppendInt(dst, id*1000+int64(n), 10)
			dst = append(dst, `,"user":"user-`...)
			dst = strconv.AppendUint(dst, x%5000, 10)
			dst = append(dst, `","event":"`...)
			dst = append(dst, events[(x>>16)%uint64(len(events))]...)
			dst = append(dst, `","amount":`...)
			dst = strconv.AppendUint(dst, (x>>24)%100000, 10)
			dst = append(dst, `,"currency":"EUR","ok":true}`...)
		}
	default:
		for len(dst)-start < size {
			x := r.next()
			for i := 0; i < 8; i++ {
				dst = append(dst, byte(x>>(8*i)))
			}
		}
	}
	return dst[:start+size]
}

// EncodeRecords appends the records section of b, uncompressed, to dst: for each record
// its length, key and value, roughly as Kafka's v2 format lays them out.
func EncodeRecords(b *RecordBatch, dst []byte) []byte {
	first := b.FirstTimestamp()
	for i, rec := range b.Records() {
		dst = appendVarint(dst, int64(rec.Size)+int64(len(rec.Key))+RecordOverhead)
		dst = append(dst, 0) // attributes
		dst = appendVarint(dst, int64(rec.Timestamp-first)/1e6)
		dst = appendVarint(dst, int64(i))
		if rec.Key == "" {
			dst = appendVarint(dst, -1)
		} else {
			dst = appendVarint(dst, int64(len(rec.Key)))
			dst = append(dst, rec.Key...)
		}
		dst = appendVarint(dst, int64(rec.Size))
		dst = Payload(b.Payload, rec.Value, int(rec.Size), dst)
		dst = append(dst, 0) // no headers
	}
	return dst
}

func appendVarint(dst []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63) // zigzag
	for u >= 0x80 {
		dst = append(dst, byte(u)|0x80)
		u >>= 7
	}
	return append(dst, byte(u))
}
