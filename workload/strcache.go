package workload

import "unsafe"

// identityCache remembers values by the identity of their string keys: the address and length
// of the bytes. A decoded chunk cuts all its strings from one dictionary, so the records that
// name one model share one address, and a lookup is two comparisons instead of hashing the
// name. Same address and length means same bytes (strings are immutable and the cache holds
// the key alive); a miss only costs the caller its ordinary map lookup.
type identityCache[V any] struct {
	keys [64]string
	vals [64]V
	set  [64]bool
}

func identitySlot(s string) uintptr {
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	return (p>>3 ^ p>>9 ^ uintptr(len(s))) & 63
}

func (c *identityCache[V]) get(s string) (v V, ok bool) {
	i := identitySlot(s)
	// An empty slot holds "", whose address may equal another empty string's: compare the
	// key only where a value was put.
	if k := c.keys[i]; c.set[i] && len(k) == len(s) && unsafe.StringData(k) == unsafe.StringData(s) {
		return c.vals[i], true
	}
	return v, false
}

func (c *identityCache[V]) put(s string, v V) {
	i := identitySlot(s)
	c.keys[i], c.vals[i], c.set[i] = s, v, true
}
