/* hiked: placeholder until the daemon core lands. */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "hiked: not built yet\n");
	return 1;
}
