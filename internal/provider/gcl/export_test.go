package gcl

// StatusEnumForTest is the status table as (value, description, uid) rows,
// for the test that checks it against the document.
func StatusEnumForTest() [][3]string {
	out := make([][3]string, len(statusEnum))
	for i, v := range statusEnum {
		out[i] = [3]string{v.value, v.description, v.uid}
	}
	return out
}
