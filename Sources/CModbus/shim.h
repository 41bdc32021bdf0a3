#include <modbus/modbus.h>
#include <errno.h>
