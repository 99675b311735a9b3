/*-------------------------------------------------------------------------
 *
 * notify.c
 *		Webhooks: a small JSON document POSTed to the migration's notify_url
 *		on every state change and every failure, through libcurl.  The
 *		transfer is driven without blocking: every wait is on the latch, so
 *		a stop or a shutdown is never held up.  A delivery that fails after
 *		a few tries is reported to the caller, never raised.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include <curl/curl.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "storage/latch.h"

#include "migrate.h"
#include "notify.h"

#define NOTIFY_ATTEMPTS		3
#define NOTIFY_TIMEOUT_MS	5000

static bool curl_ready = false;

/* Discards the response body. */
static size_t
discard_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	return size * nmemb;
}

/*
 * One POST of BODY to URL, waiting on the latch.  Returns NULL on success
 * (a 2xx answer), or what went wrong.
 */
static char *
post_once(const char *url, const char *body)
{
	CURL	   *easy;
	CURLM	   *multi;
	struct curl_slist *headers = NULL;
	char		errbuf[CURL_ERROR_SIZE];
	char	   *failure = NULL;
	int			running = 1;
	long		status = 0;
	CURLMsg    *msg;
	int			left;

	easy = curl_easy_init();
	multi = curl_multi_init();
	if (easy == NULL || multi == NULL)
	{
		if (easy)
			curl_easy_cleanup(easy);
		if (multi)
			curl_multi_cleanup(multi);
		return pstrdup("could not initialize libcurl");
	}
	errbuf[0] = '\0';
	headers = curl_slist_append(headers, "Content-Type: application/json");
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long) NOTIFY_TIMEOUT_MS);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long) NOTIFY_TIMEOUT_MS);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard_body);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "migrate");
	/* http and https only, redirects not followed */
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_multi_add_handle(multi, easy);

	PG_TRY();
	{
		while (running > 0)
		{
			CURLMcode	mc = curl_multi_perform(multi, &running);

			if (mc != CURLM_OK)
			{
				failure = psprintf("libcurl: %s", curl_multi_strerror(mc));
				break;
			}
			if (running == 0)
				break;
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 20, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
		while (failure == NULL && (msg = curl_multi_info_read(multi, &left)) != NULL)
		{
			if (msg->msg != CURLMSG_DONE)
				continue;
			if (msg->data.result != CURLE_OK)
				failure = psprintf("%s", errbuf[0] ? errbuf : curl_easy_strerror(msg->data.result));
			else
			{
				curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
				if (status < 200 || status > 299)
					failure = psprintf("the receiver answered HTTP %ld", status);
			}
		}
	}
	PG_FINALLY();
	{
		curl_multi_remove_handle(multi, easy);
		curl_easy_cleanup(easy);
		curl_multi_cleanup(multi);
		curl_slist_free_all(headers);
	}
	PG_END_TRY();
	return failure;
}

/*
 * Is URL allowed by migrate.notify_allowed_urls, a comma-separated list of
 * URL prefixes that a superuser chose?  A prefix ends at a path boundary:
 * "http://hooks:8080" allows "http://hooks:8080/x", not
 * "http://hooks:80801/".  The empty list allows nothing.
 */
bool
migrate_notify_url_allowed(const char *url)
{
	char	   *list;
	char	   *tok;
	char	   *save = NULL;

	if (migrate_notify_allowed_urls == NULL || migrate_notify_allowed_urls[0] == '\0')
		return false;
	list = pstrdup(migrate_notify_allowed_urls);
	for (tok = strtok_r(list, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
	{
		size_t		len;

		while (isspace((unsigned char) *tok))
			tok++;
		len = strlen(tok);
		while (len > 0 && isspace((unsigned char) tok[len - 1]))
			tok[--len] = '\0';
		if (len == 0 || pg_strncasecmp(url, tok, len) != 0)
			continue;
		if (tok[len - 1] == '/' || url[len] == '\0' || url[len] == '/' || url[len] == '?')
			return true;
	}
	return false;
}

/*
 * POSTs BODY to URL, trying a few times with back-off.  Returns NULL when
 * delivered, or the last failure.  A URL that migrate.notify_allowed_urls
 * does not allow (any more) is never called.
 */
char *
migrate_notify_post(const char *url, const char *body)
{
	char	   *failure = NULL;
	int			attempt;

	if (!migrate_notify_url_allowed(url))
		return pstrdup("the URL is not allowed by migrate.notify_allowed_urls");

	if (!curl_ready)
	{
		if (curl_global_init(CURL_GLOBAL_ALL) != 0)
			return pstrdup("could not initialize libcurl");
		curl_ready = true;
	}
	for (attempt = 0; attempt < NOTIFY_ATTEMPTS; attempt++)
	{
		if (attempt > 0)
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 250L << attempt, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
		failure = post_once(url, body);
		if (failure == NULL)
			return NULL;
	}
	return failure;
}
