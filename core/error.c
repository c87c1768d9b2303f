#include "fota/error.h"

const char *fota_strerror(int err)
{
    switch (err) {
    case FOTA_OK: return "success";
    case FOTA_E_INVAL: return "invalid argument";
    case FOTA_E_IO: return "I/O error";
    case FOTA_E_MAGIC: return "bad magic (not a fota image)";
    case FOTA_E_FORMAT: return "unsupported format";
    case FOTA_E_TRUNCATED: return "truncated";
    case FOTA_E_HEADER: return "malformed header";
    case FOTA_E_DIGEST: return "digest mismatch";
    case FOTA_E_SIGNATURE: return "bad signature";
    case FOTA_E_ROLLBACK: return "security counter below the stored one (rollback)";
    case FOTA_E_TOO_BIG: return "too big";
    case FOTA_E_ADDRESS: return "load address does not match the slot";
    case FOTA_E_NO_IMAGE: return "no valid image";
    case FOTA_E_STATE: return "inconsistent persistent state";
    case FOTA_E_NOSPACE: return "no space left";
    case FOTA_E_NOT_ERASED: return "programming a location that is not erased";
    case FOTA_E_CRC: return "CRC mismatch";
    case FOTA_E_PROTO: return "protocol violation";
    case FOTA_E_TIMEOUT: return "timed out";
    case FOTA_E_AUTH: return "authentication failed";
    case FOTA_E_AGAIN: return "not ready, try again";
    }
    return "unknown error";
}
