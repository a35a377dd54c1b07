#include "sip/sip_codes.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*
 * The class is derived from the code so an entry cannot disagree with its
 * first digit. Fields: code, reason, defining RFC, section, meaning, when,
 * fix.
 */
#define E(code_, reason_, rfc_, section_, meaning_, when_, fix_)               \
    {                                                                          \
        .code = (code_), .cls = (enum sip_code_class)((code_) / 100),          \
        .reason = (reason_), .rfc = (rfc_), .section = (section_),             \
        .meaning = (meaning_), .when = (when_), .fix = (fix_)                  \
    }

/* Every code of the IANA SIP "Response Codes" registry, in code order. */
static const struct sip_code_info codes[] = {
    E(100, "Trying", "RFC 3261", "21.1.1",
        "The next hop received the request and is working on it. It is hop-"
        "by-hop: it only tells the previous element to stop retransmitting "
        "the INVITE; it says nothing about the callee and is never "
        "forwarded by a proxy.",
        "Within about 200 ms of sending an INVITE to a proxy or UAS (RFC "
        "3261 §16.2 and §17.2.1 say send it if the final answer may take "
        "longer). Over UDP it stops the caller's Timer A retransmissions; "
        "the caller still waits for Timer B (64*T1, 32 s by default) for a "
        "final response.",
        "Nothing to fix. If you never see it, the INVITE is not reaching "
        "the next hop (check DNS, routing, firewall, or a Via/rport problem"
        " that sends responses to the wrong address). If you see only 100 "
        "and then a 408, the request was accepted by the first hop but "
        "nothing downstream answered."),
    E(180, "Ringing", "RFC 3261", "21.1.2",
        "The callee's user agent received the INVITE and is alerting the "
        "user. It creates an early dialog identified by the To tag it "
        "carries; a 180 with SDP can carry early media, but usually the "
        "caller plays local ringback.",
        "In every normal call set-up, after 100 and before 200. With "
        "forking you may see several 180s with different To tags, one per "
        "device ringing. With 100rel (RFC 3262) it carries an RSeq header "
        "and must be acknowledged with PRACK.",
        "Nothing to fix. If the caller hears silence despite a 180, check "
        "whether the 180 (or a later 183) carried SDP: if it did, the "
        "caller must play the remote early media instead of local ringback;"
        " a gateway that sends SDP without actually sending audio causes "
        "dead air."),
    E(181, "Call Is Being Forwarded", "RFC 3261", "21.1.3",
        "A server (proxy or a user agent applying call-forwarding) is "
        "retargeting the call to another destination. Purely informational;"
        " the call continues.",
        "When a forwarding service (call forward no answer, busy or "
        "unconditional) in a proxy or B2BUA redirects the INVITE, often "
        "with a History-Info or Diversion header naming the original "
        "target.",
        "Nothing to fix. If forwarding was not expected, check the callee's"
        " forwarding rules in the service that sent it (the Via/Server "
        "header and any History-Info tell which one)."),
    E(182, "Queued", "RFC 3261", "21.1.4",
        "The callee is temporarily unavailable but the server has queued "
        "the call instead of rejecting it; the final response will come "
        "later. The reason phrase may say more, e.g. the position in the "
        "queue; several 182s may be sent as the queue moves.",
        "From call-centre queues and ACD systems, and from UASs that hold "
        "calls while all lines are busy.",
        "Nothing to fix. The caller must not treat a 182 as an answer; keep"
        " the INVITE transaction open (Timer C at proxies is refreshed by "
        "provisional responses) and wait for the final response or CANCEL."),
    E(183, "Session Progress", "RFC 3261", "21.1.5",
        "Progress information for a call being set up, usually carrying an "
        "SDP answer so the caller can hear early media: announcements, "
        "tones or ringback generated downstream. Like 180 it creates an "
        "early dialog.",
        "From PSTN gateways, IVRs, SBCs and IMS networks (where it is "
        "usually sent reliably with 100rel and preconditions, RFC "
        "3262/3312) before the call is answered, e.g. for \"the number you "
        "have dialled is not in service\" or network ringback.",
        "Nothing to fix. If early media is one-way or silent, check the SDP"
        " in the 183 (address, port, direction attribute) against the NAT "
        "and media path; if the caller ignores it, the caller must support "
        "early media or the far end must send 180 instead."),
    E(199, "Early Dialog Terminated", "RFC 6228", "",
        "An early dialog (one fork of a forked INVITE that sent a 18x) has "
        "ended without a final response reaching the caller, because the "
        "final non-2xx response from that branch is absorbed by a forking "
        "proxy. The 199 carries the branch's To tag so the caller knows "
        "which early dialog, and any early media with it, is gone.",
        "Only when the caller listed the 199 option tag in Supported. Sent "
        "by a forking proxy when one branch returns a 4xx-6xx while other "
        "branches are still alive, or by a UAS just before it rejects an "
        "early dialog; it may carry a Reason header with the branch's code.",
        "Nothing to fix. It is advisory: the caller should release the "
        "resources (media streams, gateways) of that early dialog and keep "
        "waiting for the final response on the others. Do not send it to "
        "callers that did not advertise support."),
    E(200, "OK", "RFC 3261", "21.2.1",
        "The request succeeded. For INVITE, the callee accepted the call: "
        "the 200 carries the SDP answer (or offer), creates the confirmed "
        "dialog and must be acknowledged end to end with ACK. For REGISTER "
        "it lists the current bindings in Contact with their expiry.",
        "Every successful transaction: answered calls, accepted REGISTER, "
        "BYE, OPTIONS (with Allow, Accept and Supported showing "
        "capabilities), SUBSCRIBE, NOTIFY, MESSAGE, PUBLISH.",
        "Nothing to fix. If an INVITE's 200 keeps being retransmitted, the "
        "ACK is not arriving at the UAS (wrong Contact or Record-Route, "
        "NAT): the UAS will give up after 64*T1 and send BYE. For REGISTER,"
        " read the Expires granted per Contact: the registrar may shorten "
        "what you asked for."),
    E(202, "Accepted", "RFC 6665", "",
        "The request was accepted for processing but the processing is not "
        "complete (for example, authorization is still pending). RFC 6665 "
        "deprecated it for SUBSCRIBE, where notifiers now answer 200 and "
        "report the pending state in NOTIFY; it remains in use for REFER "
        "(RFC 3515) and for MESSAGE through a store-and-forward server (RFC"
        " 3428).",
        "In answers to REFER (call transfer), older SIP-specific event "
        "notifiers answering SUBSCRIBE, and messaging servers that queue a "
        "MESSAGE for later delivery.",
        "Nothing to fix; treat it like 200 for the transaction and wait for"
        " the NOTIFY that reports the real outcome. New event-package "
        "implementations should send 200 rather than 202 to SUBSCRIBE."),
    E(204, "No Notification", "RFC 5839", "",
        "A SUBSCRIBE that used conditional event notification succeeded, "
        "and the notifier will not send the usual immediate NOTIFY because "
        "the state the subscriber already holds (named by the entity-tag in"
        " Suppress-If-Match) is still current. The subscription is created "
        "or refreshed.",
        "When a subscriber refreshes or re-creates a subscription for "
        "presence, dialog or registration events with a Suppress-If-Match "
        "entity-tag and nothing changed since that version.",
        "Nothing to fix; keep the cached state. If the subscriber expected "
        "a NOTIFY and lost its cache, it must subscribe again without "
        "Suppress-If-Match (or with an entity-tag it does not hold)."),
    E(300, "Multiple Choices", "RFC 3261", "21.3.1",
        "The address in the request resolved to several locations, listed "
        "in Contact (optionally with q-values); the user or the client "
        "chooses one and sends a new request there.",
        "From redirect servers and registrars acting as redirect servers "
        "when a user has several registered devices and the server will not"
        " fork the call itself.",
        "The client should try the Contact addresses (highest q first, or "
        "present the choice to the user). If the client ignores 3xx, "
        "configure the redirect server to proxy instead of redirect, or "
        "make the client follow redirects (RFC 3261 §8.1.3.4)."),
    E(301, "Moved Permanently", "RFC 3261", "21.3.2",
        "The user can no longer be found at the Request-URI; the address in"
        " Contact is the new, permanent address. The caller should retry "
        "there and update any local address book, alias or speed dial so "
        "future requests go straight to the new address.",
        "From redirect servers and registrars for users who moved for good:"
        " a ported number, a renamed account, a company that changed "
        "domain. sipward sends it for entries of its moved directory.",
        "Nothing is broken: the caller should follow Contact and store it. "
        "If a client keeps calling the old address, it is not caching 301 "
        "targets; if a 301 loops back to the old address, fix the moved "
        "directory entry (a move must not point to itself, directly or "
        "through a chain)."),
    E(302, "Moved Temporarily", "RFC 3261", "21.3.3",
        "The user is temporarily reachable at the address(es) in Contact. "
        "The caller retries there for this request, but keeps using the "
        "original address for future requests; an Expires value bounds how "
        "long the redirect may be cached.",
        "From registrars used as redirect servers (Contact lists the "
        "registered devices), call-forwarding services, least-cost-routing "
        "engines, and STIR/SHAKEN or number-lookup services that SBCs dip "
        "with an INVITE and answer with a 302 carrying the result "
        "(Identity, verstat) instead of routing the call.",
        "The client should follow Contact with a new request to each target"
        " in turn (a new client transaction, RFC 3261 §8.1.3.4). If the SBC"
        " discards a dip's 302, make it copy the headers it needs "
        "(Identity, P-Asserted-Identity) into the outgoing INVITE."),
    E(305, "Use Proxy", "RFC 3261", "21.3.4",
        "The requested resource must be reached through the proxy named in "
        "Contact; the client should resend this one request via that proxy."
        " Only user agent servers may send it.",
        "Rarely. Some UASs use it to push callers through a specific proxy;"
        " many clients ignore it because following it blindly lets anyone "
        "redirect a caller's signalling through an arbitrary host.",
        "If you send it, prefer a Route set or DNS that already points at "
        "the right proxy. If you receive it, follow it only from a trusted "
        "peer over an authenticated connection, and only for the one "
        "request."),
    E(380, "Alternative Service", "RFC 3261", "21.3.5",
        "The call failed, but alternative services are possible; the body "
        "describes them. In IMS (3GPP TS 24.229) it tells a UE that its "
        "call is an emergency call that must be re-initiated as an "
        "emergency session, with an XML body naming the action.",
        "In IMS networks when a UE dials an emergency number as a normal "
        "call, or when a network offers another service (such as voicemail "
        "or a different access) instead of the one requested.",
        "The client must read the body and retry the call in the indicated "
        "way (for an emergency, set up an emergency session with the "
        "service URN). If it cannot use the body, treat the 380 as a failed"
        " call and show the user why; a network that sends 380 should make "
        "sure its UEs support the body it uses."),
    E(400, "Bad Request", "RFC 3261", "21.4.1",
        "The request could not be understood because of malformed syntax. "
        "The reason phrase should say what is wrong (e.g. \"Missing Call-"
        "ID\"), which is more useful than the bare code.",
        "When a header is missing or duplicated (To, From, Call-ID, CSeq, "
        "Via, Max-Forwards), the CSeq method differs from the request "
        "method, Content-Length disagrees with the body, a URI does not "
        "parse, or a UDP datagram arrived with less body than its Content-"
        "Length announces. sipward names the defect in the reason phrase.",
        "Read the reason phrase and any Warning header, capture the request"
        " on the wire (not in the sender's log) and compare with RFC 3261 "
        "§25 grammar. Frequent causes: bad escaping in the user part, a "
        "stray space or missing CRLF, ALGs rewriting SIP in NAT routers, "
        "and messages above the UDP MTU (switch to TCP)."),
    E(401, "Unauthorized", "RFC 3261", "21.4.2",
        "The request requires user authentication by the UAS or registrar. "
        "The response carries a WWW-Authenticate challenge (realm, nonce, "
        "algorithm); the client retries with an Authorization header "
        "answering it.",
        "On the first REGISTER of every digest-authenticated client "
        "(normal, the challenge-response round trip), and on INVITEs to a "
        "UAS that authenticates callers. A second 401 for the retried "
        "request means the credentials were rejected.",
        "Retry with Authorization computed over the challenge's realm and "
        "nonce. If the retry is challenged again, check username and "
        "password, the realm, the algorithm (MD5 vs SHA-256, RFC 8760), the"
        " digest URI (must equal the Request-URI) and whether the nonce was"
        " stale (stale=true means only the nonce expired: retry with the "
        "new one, no password prompt)."),
    E(402, "Payment Required", "RFC 3261", "21.4.3",
        "Reserved for future use. RFC 3261 defines no semantics, so there "
        "is no standard way to pay and retry.",
        "Occasionally from commercial services or gateways signalling that "
        "the caller's account has no credit.",
        "Treat it as a plain 4xx failure. If you operate the service, "
        "prefer 403 with a clear reason phrase (and an announcement via 183"
        " early media) because clients do not handle 402 specially."),
    E(403, "Forbidden", "RFC 3261", "21.4.4",
        "The server understood the request and refuses it; authentication "
        "will not help, so the request should not be repeated with "
        "credentials. STIR/SHAKEN uses it with the phrase \"Stale Date\" "
        "when the Date header (or the PASSporT iat) is older than the "
        "verifier's freshness window (ATIS-1000074, RFC 8224 §6.2).",
        "Calls to destinations barred for the caller (international, "
        "premium), REGISTER for an address-of-record the authenticated user"
        " may not register (RFC 3261 §10.3), requests from IP addresses not"
        " on an access list, and STIR verification of a request whose Date "
        "is too old or outside the certificate's validity.",
        "Read the reason phrase. For a barring or ACL, fix the account's "
        "permissions or the peer's address list on the server. For \"Stale "
        "Date\", synchronise clocks (NTP) on the signing side and make sure"
        " no element rewrites the Date header or holds the INVITE for long;"
        " verifiers commonly allow about 60 seconds."),
    E(404, "Not Found", "RFC 3261", "21.4.5",
        "The server has definitive information that the user in the "
        "Request-URI does not exist in the domain, or the domain is not one"
        " this server handles.",
        "Dialling a non-existent extension or number, a typo in the user "
        "part, calling a user who is provisioned nowhere, or sending a "
        "request to the wrong server (the domain in the Request-URI is not "
        "served there).",
        "Check the dialled user and domain against the directory; check "
        "number normalisation (E.164 with +, leading zeros, dial plans) and"
        " that the request reached the server authoritative for the domain."
        " If the user exists but is not registered, the server should "
        "answer 480, not 404."),
    E(405, "Method Not Allowed", "RFC 3261", "21.4.6",
        "The method is understood but not allowed for the address in the "
        "Request-URI. The response must carry an Allow header listing the "
        "methods that are allowed.",
        "Sending MESSAGE, SUBSCRIBE, PUBLISH, INFO or REFER to a device or "
        "service that does not accept them at that address, or REGISTER to "
        "a proxy that is not a registrar for the domain.",
        "Read Allow in the response and use one of the listed methods, or "
        "send the request to the element that handles that method (e.g. the"
        " registrar or presence server for the domain)."),
    E(406, "Not Acceptable", "RFC 3261", "21.4.7",
        "The resource can only produce response bodies whose content is not"
        " acceptable according to the Accept headers of the request.",
        "Rarely; mostly with event packages or OPTIONS when the client's "
        "Accept list excludes every body format the server can produce.",
        "Widen Accept (and Accept-Encoding, Accept-Language) in the request"
        " to include a format the server supports, or make the server "
        "support the format the client asks for."),
    E(407, "Proxy Authentication Required", "RFC 3261", "21.4.8",
        "Like 401, but the challenge comes from a proxy on the path: it "
        "carries Proxy-Authenticate and the client retries with Proxy-"
        "Authorization. Several proxies may each challenge.",
        "On INVITEs (and other requests) through an authenticating outbound"
        " proxy or SBC, typically the first attempt of every call from a "
        "digest-authenticated client.",
        "Retry with Proxy-Authorization for the challenge's realm and "
        "nonce. A repeated 407 means the credentials or realm are wrong, "
        "the digest URI differs from the Request-URI, or the proxy's nonce "
        "expired (stale=true). Keep the credentials of every proxy realm "
        "that challenged you when more than one does."),
    E(408, "Request Timeout", "RFC 3261", "21.4.9",
        "The server could not produce a final response within a suitable "
        "time, for example because it could not locate the user in time. "
        "Clients also synthesise 408 locally when their own transaction "
        "timer fires with no response at all (RFC 3261 §8.1.3.1).",
        "When a proxy's Timer C (more than 3 minutes without a provisional "
        "response) expires on a forked INVITE, when every downstream branch"
        " times out, or locally when Timer B or F (32 s) expires because "
        "nothing answers: the far end is down, unreachable or its responses"
        " are lost on the way back (NAT, wrong Via/rport).",
        "Find out which element generated it (Via, Server, or none if it "
        "was local). If local, check reachability and whether responses "
        "come back to the port you sent from (rport, symmetric NAT, "
        "firewall). If from a proxy, look at the downstream branches: a "
        "registered device that no longer answers means a stale binding "
        "(shorter registration intervals or RFC 5626 keep-alives help)."),
    E(410, "Gone", "RFC 3261", "21.4.10",
        "The user once existed here but is no longer available, and the "
        "server knows no forwarding address. Unlike 404 it is known to be "
        "permanent.",
        "From servers that keep records of deactivated accounts or "
        "disconnected numbers.",
        "Remove the address from address books and routing tables. If the "
        "user did move and the server knows where, the server should send "
        "301 with the new address instead."),
    E(412, "Conditional Request Failed", "RFC 3903", "",
        "A PUBLISH refresh or modification named an entity-tag in SIP-If-"
        "Match that the event state compositor does not hold, usually "
        "because the earlier publication expired or the server restarted.",
        "For presence PUBLISH refreshes after the publication timed out, "
        "after a failover to another presence server, or when the client "
        "reuses an entity-tag from an old session.",
        "Send a fresh initial PUBLISH without SIP-If-Match and full state, "
        "then use the new SIP-ETag for later refreshes; refresh before the "
        "Expires granted by the server runs out."),
    E(413, "Request Entity Too Large", "RFC 3261", "21.4.11",
        "The server refuses the request because its body is larger than it "
        "will process. If the condition is temporary the server adds Retry-"
        "After.",
        "With large bodies: big SDP offers with many codecs and ICE "
        "candidates, multipart bodies carrying location or certificates, "
        "MESSAGE with large payloads, or resource lists.",
        "Trim the body (fewer codecs and candidates, no unneeded "
        "attachments) or send the content by reference (a URL) instead of "
        "by value. If the limit is too low for legitimate traffic, raise it"
        " on the server."),
    E(414, "Request-URI Too Long", "RFC 3261", "21.4.12",
        "The Request-URI is longer than the server is willing to interpret.",
        "When URIs accumulate parameters or embedded headers through "
        "several redirects or B2BUAs, or when an application puts large "
        "data (tokens, encoded bodies) in the URI.",
        "Shorten the URI: carry data in headers or the body, strip "
        "parameters that downstream does not need. A URI that grows on each"
        " hop usually means a routing loop that appends to it."),
    E(415, "Unsupported Media Type", "RFC 3261", "21.4.13",
        "The body's format (Content-Type), encoding (Content-Encoding) or "
        "language is not supported by the server for this method. The "
        "response lists what it accepts in Accept, Accept-Encoding and "
        "Accept-Language.",
        "Sending an INVITE with a body other than application/sdp (or "
        "multipart the UAS cannot parse), compressed bodies, or "
        "MESSAGE/NOTIFY/INFO with a content type the receiver does not "
        "know.",
        "Read Accept in the response and resend with one of the listed "
        "types; for INVITE, send plain application/sdp (drop multipart "
        "wrappers the far end does not handle)."),
    E(416, "Unsupported URI Scheme", "RFC 3261", "21.4.14",
        "The server does not understand the scheme of the Request-URI (for "
        "example tel:, im:, pres: or a URN sent to an element that only "
        "handles sip: and sips:).",
        "When a client sends a tel: URI straight to a proxy that does not "
        "convert numbers, or an application uses a service URN "
        "(urn:service:sos) towards an element that does not support it.",
        "Convert the target to a scheme the server supports (a tel: number "
        "to sip:+number@domain;user=phone), or route the request to an "
        "element that handles that scheme."),
    E(417, "Unknown Resource-Priority", "RFC 4412", "",
        "The request required resource-priority handling (Require: "
        "resource-priority) but the Resource-Priority header uses a "
        "namespace or priority value the server does not know. The response"
        " lists the accepted values in Accept-Resource-Priority.",
        "In emergency-services, government (GETS/WPS) and military networks"
        " that give precedence to some calls, when namespaces (ets, wps, "
        "dsn, q735 ...) are not configured alike on both sides.",
        "Use a namespace and priority listed in the response's Accept-"
        "Resource-Priority, or configure the server to support the "
        "namespace the caller uses. Remove Require: resource-priority if "
        "precedence is not essential."),
    E(420, "Bad Extension", "RFC 3261", "21.4.15",
        "The server does not support an extension the client made mandatory"
        " in Proxy-Require or Require. The response lists the unsupported "
        "option tags in an Unsupported header.",
        "When a client requires 100rel, timer, precondition, sec-agree, "
        "replaces or gruu and the far end (or a proxy, for Proxy-Require) "
        "does not implement it.",
        "Read Unsupported, remove those option tags from Require or Proxy-"
        "Require (list them in Supported instead if the feature is merely "
        "desirable) and retry; only require what you truly cannot work "
        "without."),
    E(421, "Extension Required", "RFC 3261", "21.4.16",
        "The UAS needs an extension to process the request, but the client "
        "did not list it in Supported. The response names the needed option"
        " tag in Require.",
        "When a UAS insists on 100rel (reliable provisional responses), "
        "timer (session timers) or precondition and the caller did not "
        "advertise support. RFC 3261 asks UASs to avoid it when they can "
        "serve the request without the extension.",
        "Implement and advertise the option tag named in Require "
        "(Supported: 100rel, timer ...), then retry. If you run the UAS, "
        "make the extension optional: answer without it when the client "
        "does not support it."),
    E(422, "Session Interval Too Small", "RFC 4028", "",
        "The Session-Expires value in the request (session timer) is below "
        "the minimum the server accepts; the response carries Min-SE with "
        "that minimum.",
        "On INVITE or UPDATE with a short Session-Expires (for example 90 "
        "s) towards a proxy or UAS configured with a higher minimum, often "
        "between vendors with different defaults (1800 s is common).",
        "Retry with Session-Expires at least the Min-SE value from the "
        "response, and put Min-SE in the request too so later hops know the"
        " floor (RFC 4028 §6). Align the session-timer defaults of both "
        "sides."),
    E(423, "Interval Too Brief", "RFC 3261", "21.4.17",
        "The expiration time requested for a resource (a REGISTER binding, "
        "and by extension SUBSCRIBE or PUBLISH) is shorter than the server "
        "allows. The response carries Min-Expires.",
        "On REGISTER with a small Expires (for example 60 s) sent to keep a"
        " NAT binding open, towards a registrar with a larger minimum.",
        "Retry with Expires at least Min-Expires. To keep NAT bindings "
        "alive use keep-alives (RFC 5626 CRLF ping or STUN) instead of very"
        " short registrations."),
    E(424, "Bad Location Information", "RFC 6442", "",
        "The location information conveyed with the request (Geolocation "
        "header and a PIDF-LO body or reference) was malformed or not good "
        "enough for the server to route or process the request. A "
        "Geolocation-Error header gives a code and text.",
        "On emergency calls and location-based routing when the PIDF-LO is "
        "missing, cannot be dereferenced, uses an unsupported shape, or is "
        "too imprecise to pick a PSAP.",
        "Read Geolocation-Error, then resend with valid, reachable location"
        " (include it by value if the reference cannot be fetched); check "
        "the PIDF-LO against RFC 4119/5491."),
    E(425, "Bad Alert Message", "RFC 8876", "",
        "A non-interactive emergency call (a MESSAGE or INVITE carrying a "
        "Common Alerting Protocol alert) contained an alert body the "
        "recipient could not accept. An AlertMsg-Error header says what was"
        " wrong.",
        "In emergency-services networks (NG9-1-1, NG112) when sensors, "
        "vehicle or building alarm systems send CAP alerts that are "
        "malformed, unsigned when a signature is required, or use "
        "unsupported content.",
        "Read AlertMsg-Error and correct the CAP payload (schema, required "
        "elements, signature) before resending."),
    E(428, "Use Identity Header", "RFC 8224", "6.2.2",
        "The verification service requires an Identity header and the "
        "request has none, or none with a \"ppt\" it supports (RFC 8224 "
        "§6.2.2). Authentication of the caller is impossible, so policy "
        "rejects the request.",
        "When an originating network does not sign the call (no STI-AS on "
        "the path, or the SBC dropped the header), or signs only with a "
        "PASSporT extension the verifier does not support, towards a "
        "terminating network that rejects unsigned calls.",
        "Add signing on the originating side (send the INVITE through an "
        "STI-AS such as sipward sign mode) and make sure every SBC and "
        "B2BUA on the path passes the Identity header through unchanged; "
        "sign with a ppt the verifier supports (SHAKEN)."),
    E(429, "Provide Referrer Identity", "RFC 3892", "",
        "The referee (the party asked by REFER to send a request) requires "
        "a valid Referred-By token identifying who referred it, and the "
        "triggered request did not carry one. The 429 goes back to the "
        "referee, which reports it to the referrer in a NOTIFY.",
        "In transfer scenarios where the transfer target insists on knowing"
        " who initiated the transfer, signed with S/MIME (RFC 3892).",
        "The referrer should resend its REFER with a Referred-By header "
        "carrying a signed token (an S/MIME body referenced by the cid "
        "parameter), or the target should relax its policy."),
    E(430, "Flow Failed", "RFC 5626", "",
        "A proxy was asked to send a request over a specific outbound flow "
        "(a connection the UA registered, identified by a flow token) and "
        "that flow no longer works. It is a message between proxies in the "
        "same domain.",
        "With SIP Outbound (RFC 5626): an edge proxy returns it to the "
        "authoritative (home) proxy when the TCP/TLS connection to the UA "
        "has dropped or keep-alives stopped.",
        "The authoritative proxy should try another flow registered for the"
        " same instance (same +sip.instance and address-of-record) and stop"
        " using the failed one. User agents should never receive 430 (treat"
        " it as 400 if they do); on the UA side, re-register promptly after"
        " reconnecting so a working flow exists."),
    E(433, "Anonymity Disallowed", "RFC 5079", "",
        "The callee's policy refuses anonymous requests, and this request "
        "hides the caller's identity (anonymous From, Privacy: id or "
        "header, no usable asserted identity).",
        "When a user with anonymous call rejection is called from a "
        "withheld number, or a service requires a known caller.",
        "The caller can retry without privacy (reveal the number) if they "
        "wish; the operator should make sure genuine callers are not marked"
        " anonymous by mistake (for example a gateway that sets Privacy on "
        "every call)."),
    E(436, "Bad Identity Info", "RFC 8224", "6.2.2",
        "The verification service could not dereference the \"info\" URI of"
        " any Identity header: it failed to fetch the certificate needed to"
        " check the signature. It is sent only when this fails for all "
        "Identity headers in the request.",
        "When the x5u/info URL times out, answers 404 or 5xx, uses a scheme"
        " the verifier does not fetch (not https), or resolves to an "
        "unreachable or private host. A 436 with the older phrase \"Bad "
        "Identity-Info\" usually comes from an RFC 4474 verifier, which "
        "rejects RFC 8224 requests because they carry no Identity-Info "
        "header.",
        "Make the certificate repository reachable from the verifier over "
        "HTTPS at the exact URL in \"info\" (and in the PASSporT x5u), "
        "serve the PEM with a proper content type, and check DNS, TLS and "
        "firewall. A retry with an info URI the verifier can reach repairs "
        "the call."),
    E(437, "Unsupported Credential", "RFC 8224", "6.2.2",
        "The verifier obtained the credential named by \"info\" (or already"
        " had it) but does not support it: it does not trust the issuing "
        "CA, cannot validate the chain, or does not support the algorithm. "
        "The old phrase was \"Unsupported Certificate\".",
        "When the STIR certificate chains to a CA not in the verifier's "
        "trust list (a test CA, or a new STI-CA not yet added), the "
        "certificate is expired or revoked, lacks the TNAuthList extension,"
        " or uses a key other than P-256/ES256.",
        "Obtain the certificate from an STI-CA the terminating networks "
        "trust and serve the full chain; check validity dates, the "
        "TNAuthList, and that the key is EC P-256. On the verifier, add the"
        " CA to the trust store if it should be trusted."),
    E(438, "Invalid Identity Header", "RFC 8224", "6.2.2",
        "None of the Identity headers holds a valid, supported PASSporT: "
        "the certificate was obtained and accepted, but the signature does "
        "not validate against the request, or the PASSporT is malformed or "
        "lacks required claims (the alternative phrase \"Invalid PASSporT\""
        " is used for the latter).",
        "When an element between signer and verifier changed what was "
        "signed: the From or To number (normalisation, prefix added or "
        "removed), the Date header (compact form), or when orig/dest in the"
        " PASSporT do not match the request, the JWS is damaged, or the "
        "signature was made with a different key than the certificate's.",
        "Make sure the numbers the signer put in orig and dest are the ones"
        " the verifier sees (same normalisation, E.164 digits), that "
        "nothing rewrites Date or the Identity header in transit, and that "
        "the signing key matches the certificate at info. Retrying with the"
        " full-form PASSporT repairs changes to Date."),
    E(439, "First Hop Lacks Outbound Support", "RFC 5626", "",
        "A registrar that supports SIP Outbound received a REGISTER asking "
        "for outbound (Contact with reg-id and +sip.instance, Supported: "
        "outbound) but the first-hop proxy did not indicate outbound "
        "support (no ;ob in its Path), so flows cannot be maintained.",
        "When a UA configured for RFC 5626 registers through an edge proxy "
        "or SBC that does not support outbound or does not add Path.",
        "Enable outbound and Path on the edge proxy, or have the UA "
        "register without outbound (drop reg-id) and rely on ordinary keep-"
        "alives."),
    E(440, "Max-Breadth Exceeded", "RFC 5393", "",
        "A proxy could not fork the request because the Max-Breadth budget "
        "it received leaves too few parallel branches. This limits the "
        "amplification attacks that forking allows.",
        "When a request forks through several proxies (each dividing Max-"
        "Breadth among its branches) or a user has many registered "
        "contacts, and the remaining breadth reaches zero.",
        "Reduce forking (fewer parallel contacts, sequential instead of "
        "parallel forking) or raise the Max-Breadth value the first proxy "
        "sets; check for a loop that keeps forking the same request."),
    E(469, "Bad Info Package", "RFC 6086", "",
        "An INFO request named (in Info-Package) a package the receiver did"
        " not agree to receive in this dialog, or carried no package at "
        "all. The response lists the accepted packages in Recv-Info. The "
        "dialog and session are not affected.",
        "When a UA sends INFO for DTMF (info-dtmf), video control or other "
        "packages without checking the Recv-Info the peer sent in the "
        "INVITE, 18x or 200.",
        "Only send INFO packages the peer listed in Recv-Info; negotiate "
        "the package in the INVITE/200 exchange first, or use another "
        "mechanism (RFC 4733 DTMF in RTP)."),
    E(470, "Consent Needed", "RFC 5360", "",
        "A relay (for example a URI-list server) needs permission from the "
        "recipient before it will send requests to it, and some targets "
        "have not given consent. A Permission-Missing header lists them.",
        "When sending to an address list or a service that relays to third "
        "parties and uses the consent framework to avoid spam "
        "amplification.",
        "Obtain the recipients' consent through the framework (the relay "
        "asks each recipient with a permission document) and retry, or "
        "remove the listed URIs from the request."),
    E(480, "Temporarily Unavailable", "RFC 3261", "21.4.18",
        "The callee's end system was contacted, or the user is known to the"
        " server, but is not reachable right now: not registered, do-not-"
        "disturb, or not answering. A Retry-After may say when to try "
        "again; the reason phrase may be more specific.",
        "Calling a known user who has no active registration (phone off, "
        "app asleep, registration expired), a device in do-not-disturb, or "
        "when all forks failed with errors that do not say more.",
        "Check that the callee is registered (the registrar's bindings for "
        "the address-of-record) and that the registration is fresh. If "
        "users register but still get 480, the bindings are stale: shorten "
        "the registration interval or use keep-alives; route to voicemail "
        "on 480 if a caller should not just fail."),
    E(481, "Call/Transaction Does Not Exist", "RFC 3261", "21.4.19",
        "The UAS received a request that does not match any dialog or "
        "transaction it knows: a BYE, re-INVITE, UPDATE, NOTIFY, INFO or "
        "CANCEL for a call it has already forgotten or never had.",
        "After one side dropped the call silently (crash, restart, session-"
        "timer expiry), when a B2BUA or proxy rewrote Call-ID or tags, "
        "after failover to a server without the dialog state, or a CANCEL "
        "arriving after the final response.",
        "Compare Call-ID, From tag and To tag of the in-dialog request with"
        " those of the dialog-creating 200 (they must match exactly); make "
        "sure in-dialog requests follow the route set to the same server. "
        "Stop sending requests on that dialog and clear local state."),
    E(482, "Loop Detected", "RFC 3261", "21.4.20",
        "The server detected a loop: the request came back to it with the "
        "same routing decision, so forwarding it again would circle "
        "forever. UASs also use it for merged requests (RFC 3261 §8.2.2.2):"
        " the same request arriving twice through different forking paths.",
        "With mis-configured routing between two proxies or SBCs (each "
        "sending the call to the other), a domain routed to itself, a "
        "redirect or forward that points back to the caller, or forking "
        "where two branches reach the same device.",
        "Follow the Via headers of the looped request: they show the path. "
        "Fix the route (static routes, DNS NAPTR/SRV, forwarding rules) so "
        "the domain has one final destination. For merged requests, the "
        "duplicate may simply be ignored by the caller."),
    E(483, "Too Many Hops", "RFC 3261", "21.4.21",
        "The request arrived with Max-Forwards at 0 at a server that would "
        "have to forward it (or process it further). The hop limit protects"
        " against loops that a proxy cannot detect.",
        "In routing loops that change the request each time (so loop "
        "detection misses them), or in long legitimate chains of proxies "
        "and B2BUAs where some element resets Max-Forwards to a small "
        "value.",
        "Count the Via headers: dozens of them mean a loop; fix the "
        "routing. For a real long path, make sure no element lowers Max-"
        "Forwards unduly; 70 is the RFC 3261 starting value."),
    E(484, "Address Incomplete", "RFC 3261", "21.4.22",
        "The Request-URI is incomplete: more digits (or characters) are "
        "needed to reach a destination. It supports overlap dialling, where"
        " digits are sent as the user types.",
        "From PSTN gateways and dial-plan engines when the number is too "
        "short for the dial plan (missing area code, missing digits), and "
        "in overlap-signalling interworking with ISUP.",
        "Send the complete number (E.164 with country code); if the client "
        "does overlap dialling it may send a new INVITE with more digits "
        "(RFC 3578). Check the dial plan's minimum lengths."),
    E(485, "Ambiguous", "RFC 3261", "21.4.23",
        "The Request-URI matches several users; the server cannot choose. "
        "The response may list possible addresses in Contact (if privacy "
        "allows).",
        "When dialling by name (sip:john@example.com) in a directory with "
        "several Johns, or short codes that map to multiple users.",
        "Use a unique address (full name, number or one of the Contact "
        "addresses in the response). Directory administrators should ensure"
        " aliases are unique."),
    E(486, "Busy Here", "RFC 3261", "21.4.24",
        "The callee's end system was reached but the user is busy and does "
        "not want to take more calls at this device. Other devices or "
        "voicemail of the same user may still be tried: it is a 4xx, so a "
        "forking proxy continues with other branches.",
        "From a phone already in a call (with call waiting off), or a "
        "device with a limit of one call, or a user pressing \"busy\" on an"
        " incoming call.",
        "Nothing is broken. Try later (Retry-After may say when), or let "
        "the server forward on busy to voicemail or another device. Send "
        "600 instead only when the user is known to be busy on every "
        "device."),
    E(487, "Request Terminated", "RFC 3261", "21.4.25",
        "The request was terminated by a CANCEL (or, for a pending INVITE, "
        "a BYE) before a final response was sent. It is the normal final "
        "response to the cancelled INVITE.",
        "Whenever a caller hangs up while the phone is still ringing, when "
        "a forking proxy cancels the other branches after one answered, or "
        "when a client gives up on a redirect attempt.",
        "Nothing to fix; it is expected after every CANCEL. If calls are "
        "cancelled unexpectedly, look at who sent the CANCEL (a timer in a "
        "proxy or application, or the caller's no-answer timer)."),
    E(488, "Not Acceptable Here", "RFC 3261", "21.4.26",
        "The session description could not be accepted at this endpoint: no"
        " common codec, an unsupported media type or transport (RTP/SAVP vs"
        " RTP/AVP), bandwidth, or address family. A Warning header should "
        "name the problem (warn-codes 300-307 and 370, e.g. 304 Media type "
        "not available, 305 Incompatible media format). Other endpoints of "
        "the user might accept it.",
        "Calls between devices with no common codec (an Opus-only client "
        "calling a G.711/G.729 gateway), SRTP required on one side and "
        "refused on the other, IPv6-only SDP to an IPv4 device, or a re-"
        "INVITE offering a change the peer refuses.",
        "Read Warning, compare the m= lines and a=rtpmap of the offer with "
        "what the far end supports; add a common codec (G.711 is the usual "
        "fallback), align SRTP policy (SDES/DTLS, RTP/SAVP vs RTP/SAVPF), "
        "or insert a transcoding media gateway."),
    E(489, "Bad Event", "RFC 6665", "",
        "The server does not understand the event package named in the "
        "Event header of a SUBSCRIBE, NOTIFY or PUBLISH. The response lists"
        " the supported packages in Allow-Events.",
        "Subscribing to presence, dialog, message-summary, reg or a vendor "
        "package at a server that does not offer it, or with a misspelled "
        "Event header.",
        "Use a package listed in Allow-Events, or send the SUBSCRIBE to the"
        " server that provides that package (for example the presence "
        "server rather than the registrar)."),
    E(491, "Request Pending", "RFC 3261", "21.4.27",
        "The UAS received a request (a re-INVITE or UPDATE) on a dialog "
        "while it has its own request of the same kind pending on that "
        "dialog: glare. Both sides then back off.",
        "When both parties modify the session at once, such as simultaneous"
        " hold, transfer or codec change, or session-timer refreshes that "
        "collide.",
        "Retry after a random delay (RFC 3261 §14.1): 2.1 to 4 s if you own"
        " the Call-ID (you sent the initial INVITE), 0 to 2 s otherwise. "
        "Frequent glare means both sides refresh sessions on the same "
        "timer: make only one side the refresher."),
    E(493, "Undecipherable", "RFC 3261", "21.4.28",
        "The request had an encrypted S/MIME body that the UAS cannot "
        "decrypt: it does not have, or will not use, the right key. The "
        "response may carry the public key to use instead.",
        "Rarely, since S/MIME in SIP is little deployed: encrypted SDP or "
        "MESSAGE bodies sent to a UA with a different certificate.",
        "Encrypt with the recipient's current public key (the one in the "
        "response, if present) or send the body unencrypted over TLS."),
    E(494, "Security Agreement Required", "RFC 3329", "",
        "The server requires a security mechanism agreement (Require: sec-"
        "agree) before it will process requests. The response lists the "
        "mechanisms it supports in Security-Server (digest, tls, ipsec-3gpp"
        " ...).",
        "In IMS: the first REGISTER of a UE to the P-CSCF, which then "
        "negotiates IPsec security associations; and with servers that "
        "require TLS or digest integrity via sec-agree.",
        "Support RFC 3329: choose a mechanism from Security-Server, set it "
        "up, and resend with Security-Verify echoing the server's list plus"
        " Require and Proxy-Require: sec-agree."),
    E(500, "Server Internal Error", "RFC 3261", "21.5.1",
        "The server met an unexpected condition that stopped it from "
        "fulfilling the request. It may add Retry-After if the condition is"
        " temporary.",
        "Software faults, a database or back-end that failed, out-of-"
        "memory, or an application script that errored. Proxies also send "
        "500 in place of a downstream 503 (RFC 3261 §16.7).",
        "Look at the server's logs for the Call-ID. The client may try "
        "another server (RFC 3263 alternative in DNS SRV), but repeated "
        "500s need a fix on the server."),
    E(501, "Not Implemented", "RFC 3261", "21.5.2",
        "The server does not support the functionality required: typically "
        "it does not recognise the method at all, for any user (unlike 405,"
        " where the method is known but not allowed for the address).",
        "Sending UPDATE, PRACK, REFER, MESSAGE, PUBLISH or INFO to a server"
        " or gateway that predates or does not implement that method.",
        "Check the server's Allow header (send OPTIONS) and use only "
        "methods it implements, or upgrade the server. A proxy must forward"
        " unknown methods, so a 501 normally comes from a UAS or B2BUA."),
    E(502, "Bad Gateway", "RFC 3261", "21.5.3",
        "The server, acting as a gateway or proxy, received an invalid "
        "response from a downstream server it contacted.",
        "From proxies and SBCs when the next hop sent an unparseable or "
        "nonsensical response, or from gateways when the far network (ISUP,"
        " another VoIP network) returns something they cannot map.",
        "Capture the downstream response on the next hop's leg and fix the "
        "element that produced it; check the gateway's protocol mapping "
        "tables."),
    E(503, "Service Unavailable", "RFC 3261", "21.5.4",
        "The server is temporarily unable to process the request: "
        "overloaded, in maintenance, or a needed back-end is down. Retry-"
        "After says when to come back; clients should try another server in"
        " the meantime (RFC 3263).",
        "During overload, restarts or maintenance, from a proxy with no "
        "route or trunk capacity, or from servers rejecting traffic above a"
        " rate limit. Proxies must not pass a 503 upstream unless all "
        "alternatives will fail too; they answer 500 instead.",
        "Fail over to the next server from DNS SRV, honour Retry-After, and"
        " check the server's capacity and back-end health. Do not answer "
        "503 for permanent conditions: use 403 or 404."),
    E(504, "Server Time-out", "RFC 3261", "21.5.5",
        "The server did not receive a timely response from an external "
        "server it needed to process the request: a location server, DNS, "
        "an HTTP back-end, a database, or the next SIP hop. (When the "
        "request's own Expires time passes instead, 408 applies.)",
        "When a proxy's query to a routing back-end (ENUM, LNP, HTTP "
        "routing API, certificate fetch) times out, or a gateway's far side"
        " does not answer.",
        "Find the back-end that timed out in the server's logs; check its "
        "latency, reachability and timeout settings. Clients may retry "
        "later or through another server."),
    E(505, "Version Not Supported", "RFC 3261", "21.5.6",
        "The server does not support the SIP version in the request line "
        "(anything other than SIP/2.0).",
        "With malformed requests (\"SIP/2.1\", \"SIP/1.0\", or HTTP sent to"
        " a SIP port), usually from scanners or broken software.",
        "Send SIP/2.0 in the Request-Line and every Via. If you see it from"
        " a normal client, the request is probably being mangled on the way"
        " (ALG, broken proxy)."),
    E(513, "Message Too Large", "RFC 3261", "21.5.7",
        "The server cannot process the request because the message (not "
        "only the body) is larger than it can handle.",
        "With very large messages: long Via or Record-Route lists, many "
        "Contact headers, big bodies, especially over UDP where anything "
        "above the path MTU (1300 bytes per RFC 3261 §18.1.1) should have "
        "gone over TCP.",
        "Send large messages over TCP or TLS; trim unneeded headers and "
        "bodies; check for header accumulation caused by a loop. Raise the "
        "server's message-size limit only if the traffic is legitimate."),
    E(555, "Push Notification Service Not Supported", "RFC 8599", "",
        "The proxy or registrar that handles push notifications for the UA "
        "does not support the push notification service (PNS) named in the "
        "pn-provider parameter of the REGISTER's Contact, so it cannot wake"
        " the UA when a request arrives.",
        "When a mobile SIP app registers with pn-provider=apns, fcm or "
        "webpush and the service provider's proxy does not support that "
        "provider.",
        "Register with a push service the provider supports (the sip.pns "
        "feature-capability indicator in responses names them), or register"
        " without push parameters and keep the app awake. Providers should "
        "configure credentials for each push service their apps use."),
    E(580, "Precondition Failure", "RFC 3312", "",
        "The UAS cannot meet the preconditions (typically QoS resource "
        "reservation) that the session description requires, so the session"
        " cannot be established (or modified).",
        "In IMS and networks using preconditions: the access network "
        "refused the bandwidth reservation, a mandatory precondition "
        "strength could not be met, or the peer does not support the "
        "precondition type offered.",
        "Check the SDP precondition attributes (a=curr, a=des, a=conf) on "
        "both sides and the resource reservation in the access network "
        "(policy control, bearer set-up). Offer optional instead of "
        "mandatory preconditions if the call can proceed without them."),
    E(600, "Busy Everywhere", "RFC 3261", "21.6.1",
        "The callee was reached and is busy, and knows that no other "
        "endpoint would take the call either. Unlike 486, it stops a "
        "forking proxy from trying other branches.",
        "From services that know the user's global state: an application "
        "server that tracks all of a user's devices, or a user with a "
        "single line who is on a call.",
        "Nothing is broken. Try later (Retry-After may say when). If the "
        "user has other devices or voicemail that should be tried, the "
        "device or service must send 486, not 600."),
    E(603, "Decline", "RFC 3261", "21.6.2",
        "The callee's device was reached but the user explicitly does not "
        "wish to participate, and no other endpoint should be tried. Retry-"
        "After may suggest a better time.",
        "When a user presses \"decline\" or \"reject\" on an incoming call "
        "(many phones send 603, others send 486), or an application server "
        "rejects the call on the user's behalf.",
        "Nothing is broken; do not retry immediately. If a device sends 603"
        " on reject but the user wants voicemail to take the call, "
        "configure it to send 486 or have the server forward on 603."),
    E(604, "Does Not Exist Anywhere", "RFC 3261", "21.6.3",
        "The server has authoritative information that the user in the "
        "Request-URI does not exist anywhere, not only in this domain.",
        "From number databases and routing services that know a number is "
        "unallocated everywhere (not just unknown locally), or from servers"
        " authoritative for a global namespace.",
        "Check the dialled number or address; remove it from address books "
        "and routing. If only this domain lacks the user, the server should"
        " send 404 instead."),
    E(606, "Not Acceptable", "RFC 3261", "21.6.4",
        "The user's agent was contacted, but some aspect of the session "
        "description (media, bandwidth, addressing) is not acceptable, and "
        "no endpoint of this user would accept it either. A Warning header "
        "should say why.",
        "When a service knows that every device of the user lacks a "
        "capability the caller insists on (video only, a specific codec, "
        "mandatory encryption), or a UA that is the user's only endpoint "
        "rejects the offer.",
        "Read Warning, then offer a session the callee can accept (add "
        "audio or common codecs, drop mandatory features). If only one "
        "device cannot accept it, that device must send 488 so other "
        "branches are tried."),
    E(607, "Unwanted", "RFC 8197", "",
        "The called party does not want this call and marks it as unwanted "
        "(spam, robocall, nuisance). Like other 6xx it ends the call for "
        "all branches; beyond that it is a signal for call analytics and "
        "blocking services, which may learn from it.",
        "When a user presses a \"report spam\" or \"block\" key on an "
        "incoming call, or a UA applies the user's own block list.",
        "For a legitimate caller: the recipient has rejected you "
        "personally; do not retry. If you believe your number is being "
        "flagged wrongly, check that calls are signed with full attestation"
        " (STIR/SHAKEN) and contact the terminating operator. Networks "
        "should pass 607 upstream unchanged so analytics see it."),
    E(608, "Rejected", "RFC 8688", "",
        "An intermediary (a network call-blocking or analytics service), "
        "not the user, rejected the call. The response may carry a Call-"
        "Info header with purpose=jwscard pointing to a signed jCard naming"
        " whom to contact for redress, so a wrongly blocked caller can "
        "appeal.",
        "When an operator's analytics engine classifies the call as likely "
        "fraud or robocall, or a network blocking policy applies (for "
        "example a number on a do-not-originate list).",
        "A legitimate caller should follow the contact in Call-Info to ask "
        "for the block to be lifted, and check attestation of their calls "
        "(unsigned or C-attested calls are blocked more often). Do not "
        "retry the same call immediately; intermediaries must not convert "
        "608 to another code."),
};

#define NCODES (sizeof(codes) / sizeof(codes[0]))

/* What RFC 3261 §8.1.3.2 tells a UA to assume for a code it does not know. */
static const struct sip_code_info generic[] = {
    E(100, "Provisional", "RFC 3261", "8.1.3.2",
        "A provisional (1xx) response this element does not recognise. It "
        "says the request is still being processed; RFC 3261 §8.1.3.2 tells"
        " a UA to treat an unknown 1xx other than 100 as 183 Session "
        "Progress.",
        "From peers that use a private or newer extension code in the 1xx "
        "range.",
        "Nothing to fix for the call: wait for the final response. If the "
        "code matters, find the extension that defines it and ask the "
        "sender which document it implements."),
    E(200, "Success", "RFC 3261", "8.1.3.2",
        "A success (2xx) response this element does not recognise. A UA "
        "must treat an unknown 2xx as 200 OK: the request succeeded.",
        "From peers using a private or newer extension code in the 2xx "
        "range.",
        "Treat it as 200. If it answered an INVITE, ACK it as any 2xx. Ask "
        "the sender which extension defines the code if its extra meaning "
        "matters."),
    E(300, "Redirection", "RFC 3261", "8.1.3.2",
        "A redirection (3xx) response this element does not recognise. A UA"
        " must treat an unknown 3xx as 300 Multiple Choices: try the "
        "addresses in Contact.",
        "From redirect servers using a private or newer extension code.",
        "Follow Contact as for 300. Ask the sender which extension defines "
        "the code if its extra meaning matters."),
    E(400, "Client Failure", "RFC 3261", "8.1.3.2",
        "A client-failure (4xx) response this element does not recognise. A"
        " UA must treat an unknown 4xx as 400 Bad Request: the request "
        "failed at this server and should not be retried unchanged, though "
        "another server or a modified request may succeed.",
        "From peers using a private or newer extension code in the 4xx "
        "range.",
        "Read the reason phrase and any Warning or Reason header, which "
        "usually say what is wrong. Ask the sender which extension defines "
        "the code."),
    E(500, "Server Failure", "RFC 3261", "8.1.3.2",
        "A server-failure (5xx) response this element does not recognise. A"
        " UA must treat an unknown 5xx as 500 Server Internal Error: the "
        "server failed on an apparently valid request; another server may "
        "succeed.",
        "From peers using a private or newer extension code in the 5xx "
        "range.",
        "Try another server if one exists (DNS SRV), honour Retry-After, "
        "and read the reason phrase. Ask the sender which extension defines"
        " the code."),
    E(600, "Global Failure", "RFC 3261", "8.1.3.2",
        "A global-failure (6xx) response this element does not recognise. A"
        " UA must treat an unknown 6xx as 600: the request will fail "
        "everywhere, so no other branch or server should be tried.",
        "From peers using a private or newer extension code in the 6xx "
        "range.",
        "Do not retry elsewhere. Read the reason phrase and any Reason "
        "header, and ask the sender which extension defines the code."),
};

static const struct sip_code_pair pairs[] = {
    { 180, 183,
        "Both are provisional responses that create an early dialog. 180 "
        "means the callee is being alerted; the caller normally plays local"
        " ringback unless the 180 carries SDP. 183 carries progress, "
        "normally with SDP for early media generated downstream (ringback, "
        "announcements).",
        "A UA alerting its user sends 180. A gateway or media server that "
        "plays tones or announcements sends 183 with SDP. A caller must "
        "play remote media whenever the response carried SDP." },
    { 181, 302,
        "Both mean the call is going somewhere else. With 181 a proxy or "
        "B2BUA forwards the call itself and only informs the caller (the "
        "transaction continues). With 302 the server steps out: the "
        "transaction ends and the caller must send a new request to the "
        "Contact address.",
        "Forwarding services that keep control of the call (and can still "
        "try voicemail on no answer) proxy it and may send 181. Redirect "
        "servers, and services that want the caller's own network to route "
        "the new target, send 302." },
    { 200, 202,
        "Both are success. 200 means the request was completed. 202 means "
        "it was accepted for processing that has not finished (a REFER "
        "whose triggered request is still under way, a MESSAGE stored for "
        "later delivery); the real outcome arrives later, usually in a "
        "NOTIFY.",
        "Answer 200 whenever the work is done, and to SUBSCRIBE always (RFC"
        " 6665 deprecated 202 there). Answer 202 to REFER and to MESSAGE "
        "accepted by a store-and-forward relay. A client should not treat "
        "202 as proof that the end result happened." },
    { 300, 302,
        "300 lists several alternatives and expects the user or client to "
        "choose among them; 302 gives one or more temporary addresses that "
        "the client should simply try (in q-value order).",
        "Send 302 from a redirect server that knows the order to try; 300 "
        "when the choice is meaningful to the user (for example different "
        "services for the same name). Most clients handle both the same "
        "way: try the Contacts in order." },
    { 300, 485,
        "Both can list several addresses in Contact. 300 is a redirection: "
        "every listed address is valid for the user and the client may "
        "simply pick one. 485 is a failure: the address was ambiguous, the "
        "listed addresses are different users, and the human has to choose "
        "who was meant.",
        "Send 300 when the alternatives reach the same person (devices, "
        "services); 485 when a name or short code matches several people. "
        "Clients may follow 300 automatically but should show 485 "
        "alternatives to the user." },
    { 301, 302,
        "Both redirect the caller to the address in Contact and both are "
        "3xx, so the caller sends a new request there. 301 says the old "
        "address is dead for good: the caller should update its address "
        "book and never use the old address again. 302 is valid for this "
        "request only (or until its Expires): the caller keeps the original"
        " address and asks again next time.",
        "Send 301 when a user or number moved permanently (ported, renamed,"
        " left the domain). Send 302 for every decision made per call: "
        "current registrations, forwarding rules, time-of-day routing, and "
        "answers to an SBC's dip (STIR signing or verification, number "
        "lookup)." },
    { 301, 410,
        "Both say the user is permanently no longer at this address. 301 "
        "knows where they went and gives the new address in Contact; 410 "
        "knows they left but has no forwarding address, so the request "
        "fails.",
        "Send 301 whenever the new address is known; 410 when an account "
        "was closed or a number disconnected with no successor. Both tell "
        "the caller to update its records." },
    { 301, 438,
        "They answer different questions. 301 is a redirection about where "
        "the user is: the request was fine and the caller should go to the "
        "new permanent address. 438 is a client failure about who the "
        "caller is: a STIR verifier obtained the certificate but no "
        "Identity header's signature validated, so the call is rejected (or"
        " flagged). A 301 never says anything about the caller's identity; "
        "a 438 never says where the callee is.",
        "A redirect server answers 301 for users in its moved directory. A "
        "verification service answers 438 when signatures fail. sipward can"
        " send either to the same SBC: 301 from the registrar/redirect "
        "role, 438 from the STI-VS role; read the class (3xx vs 4xx) first." },
    { 302, 305,
        "Both are 3xx and use Contact, but 302 gives a new target for the "
        "request (another address for the user), while 305 keeps the same "
        "target and names a proxy the request must go through. 302 may come"
        " from any redirect server; 305 may only be sent by a UAS, and is "
        "often ignored by clients for security reasons.",
        "Use 302 to point a caller at where the user is now. Use 305 "
        "(sparingly, only to trusted clients) when the request is right but"
        " must take a different path; a configured outbound proxy or Route "
        "set is usually better." },
    { 401, 403,
        "401 is a challenge: the server wants credentials and says how "
        "(WWW-Authenticate); retrying with a correct Authorization "
        "succeeds. 403 is a refusal: the server knows who you are (or does "
        "not care) and will not serve the request; credentials will not "
        "change the answer.",
        "Send 401 when the request lacks valid credentials. Send 403 when "
        "the authenticated user is not allowed to do this (call a barred "
        "destination, register someone else's address), the source address "
        "is not permitted, or a STIR Date is stale. A 401 to a request that"
        " already carried credentials means they were wrong (user, password"
        " or realm); a 403 means the permissions are." },
    { 401, 407,
        "Both are digest challenges. 401 comes from the end server (UAS or "
        "registrar) with WWW-Authenticate and is answered with "
        "Authorization; 407 comes from a proxy on the path with Proxy-"
        "Authenticate and is answered with Proxy-Authorization. Several "
        "proxies may each send 407; their challenges accumulate.",
        "A registrar authenticating REGISTER sends 401; an outbound proxy "
        "or SBC authenticating calls sends 407. Clients must answer each "
        "with the matching header and realm." },
    { 403, 404,
        "404 says the user does not exist here. 403 says the server will "
        "not serve this request, whether or not the user exists. Some "
        "servers answer 404 (or 403) to everything they reject to avoid "
        "revealing which users exist.",
        "Send 404 for unknown users and 403 for policy refusals (barring, "
        "access lists, forbidden registrations). If you hide user "
        "existence, use one code for both cases consistently, and log the "
        "real cause." },
    { 403, 433,
        "433 is a specific refusal: the request was rejected only because "
        "it is anonymous, and revealing the caller's identity would let it "
        "through. 403 is a general refusal that identity alone will not "
        "change.",
        "A callee or service with anonymous call rejection sends 433 so the"
        " caller knows to retry without privacy. Use 403 for other policy "
        "refusals." },
    { 403, 438,
        "In STIR both can be a verifier's rejection, for different "
        "failures. 403 \"Stale Date\" means the Date header (or iat) is "
        "older than the freshness window: the signature may be fine but the"
        " request is too old, often because of clock skew. 438 means no "
        "Identity header validated: signature mismatch, altered numbers, "
        "malformed PASSporT.",
        "Send 403 Stale Date when only freshness fails; 438 when the "
        "signature or claims do not check out. For 403 fix the clocks (NTP)"
        " and delays; for 438 fix what was altered in transit or the key." },
    { 403, 603,
        "403 is the server's refusal of the request (policy, permissions); "
        "another request or another server may succeed. 603 is the callee's"
        " own decision not to take the call, and ends all forking.",
        "Servers enforcing policy send 403 with a reason phrase; user "
        "agents whose user rejects the call send 603 (or 486 to let "
        "voicemail take it)." },
    { 404, 410,
        "404 says the user does not exist here, with no claim about the "
        "past; 410 says the user existed here and is gone for good, with no"
        " forwarding address.",
        "Send 410 for deactivated accounts or disconnected numbers when you"
        " keep that record (it tells callers to stop trying); 404 for "
        "unknown users." },
    { 404, 480,
        "404 means the user does not exist in this domain: retrying is "
        "pointless. 480 means the user exists but cannot be reached right "
        "now (not registered, do-not-disturb): a later attempt may succeed.",
        "A registrar-proxy answers 404 for an address-of-record it has "
        "never heard of, and 480 for a known user with no current bindings."
        " Sending 404 for unregistered users makes callers and gateways "
        "drop the number from their records; prefer 480." },
    { 404, 484,
        "Both mean the Request-URI does not lead to a user. 404 means the "
        "address is complete but unknown. 484 means it is too short to be a"
        " valid address yet: more digits would make it one.",
        "Dial plans send 484 when a number is a prefix of valid numbers "
        "(overlap dialling may then add digits) and 404 when the full "
        "number is not assigned." },
    { 404, 604,
        "404 is local knowledge: the user is not in this domain (another "
        "domain may have them, so it is a 4xx). 604 is global: the user "
        "does not exist anywhere, and no other server should be tried.",
        "Send 404 by default. Send 604 only when your server is "
        "authoritative for the whole namespace (for example a number "
        "database that knows a number is unallocated)." },
    { 405, 501,
        "405 means the method is known but not allowed at this address (the"
        " response's Allow lists what is). 501 means the server does not "
        "implement the method at all.",
        "Send 405 when the method exists in your implementation but not for"
        " that resource (REGISTER sent to a non-registrar address, MESSAGE "
        "to a device that refuses it); 501 for methods you never implement." },
    { 408, 480,
        "408 means no final answer came in time: the request timed out "
        "somewhere (a branch never answered or Timer C expired). 480 means "
        "the server got a definite answer that the user is unavailable.",
        "Expect 408 when devices are registered but do not respond (stale "
        "bindings, network problems); 480 when the user is known to be "
        "unreachable. Seeing 408 where 480 was expected points at a stale "
        "registration." },
    { 408, 504,
        "408 is about the request itself: it did not get a final response "
        "within its time (user location, Timer C, or the request's "
        "Expires). 504 is about a back-end: the server asked another server"
        " (DNS, database, routing API, the next hop) and that server was "
        "too slow.",
        "Send 408 when locating or ringing the user took too long; 504 when"
        " your own dependency timed out. A 504 calls for checking the "
        "server's back-ends; a 408 for checking the callee's devices and "
        "network." },
    { 413, 513,
        "413 is about the body: the server will not process a body that "
        "large. 513 is about the whole message (headers included), "
        "typically over UDP.",
        "Send 413 when only the body is too big (trim the SDP or "
        "attachment); 513 when the message as a whole exceeds the server's "
        "limit. For both, switching to TCP helps only if the limit is a UDP"
        " size limit." },
    { 415, 488,
        "415 rejects the body's format: the Content-Type, encoding or "
        "language is not supported at all (Accept lists what is). 488 "
        "accepts the format (usually SDP) but not the session it describes:"
        " codecs, media, transport or addresses.",
        "Send 415 when you cannot parse the body type; 488 when you parsed "
        "the SDP and found nothing you can accept (with a Warning saying "
        "why)." },
    { 420, 421,
        "Opposite directions. 420 comes back when the client required an "
        "extension (Require or Proxy-Require) that the server does not "
        "support; Unsupported lists it. 421 comes back when the server "
        "requires an extension that the client did not list in Supported; "
        "Require lists it.",
        "On 420 remove the listed tags from Require and retry. On 421 "
        "implement and advertise the listed tag (Supported) and retry. "
        "Servers should send 421 only when they cannot do without the "
        "extension." },
    { 421, 494,
        "Both ask the client to support something before retrying. 421 "
        "names a SIP extension the client must support (in Require). 494 "
        "says a security mechanism agreement (RFC 3329 sec-agree) is needed"
        " first, listing the mechanisms in Security-Server.",
        "Send 494 from servers (typically an IMS P-CSCF) that require sec-"
        "agree; 421 for other mandatory extensions such as 100rel or timer." },
    { 422, 423,
        "Both say \"the time you asked for is too short\" and carry the "
        "minimum. 422 is about the session timer of a call (Session-"
        "Expires, answered with Min-SE, RFC 4028). 423 is about the expiry "
        "of a registration or subscription (Expires, answered with Min-"
        "Expires).",
        "Send 422 to INVITE or UPDATE with too small a Session-Expires; 423"
        " to REGISTER, SUBSCRIBE or PUBLISH with too small an Expires. "
        "Retry with the value from Min-SE or Min-Expires respectively." },
    { 428, 436,
        "Both are STIR verifier rejections before any signature check. 428 "
        "means there was no usable Identity header at all. 436 means there "
        "was one, but the verifier could not fetch the certificate its info"
        " URI points to.",
        "Fix 428 on the originating side (sign the call and keep the header"
        " on the path). Fix 436 on the signer's certificate repository (a "
        "reachable HTTPS info URL)." },
    { 428, 438,
        "428 means there is no usable Identity header at all (none, or only"
        " ones with an unsupported ppt); 438 means there is one, the "
        "certificate was obtained and trusted, but the PASSporT does not "
        "validate. 428 points at the originating side not signing; 438 at a"
        " signature broken or altered in transit.",
        "A verifier answers 428 when policy requires signed calls and "
        "nothing is signed; 438 when what is signed does not verify. Fix "
        "428 by adding an STI-AS on the originating path; fix 438 by "
        "finding what changed between signer and verifier." },
    { 430, 480,
        "430 is internal to a SIP Outbound deployment: the edge proxy tells"
        " the home proxy that one particular flow to a device broke; other "
        "flows may still work, and callers should never see it. 480 is the "
        "answer a caller gets when the user cannot be reached at all.",
        "Edge proxies send 430 upstream for a dead flow. The home proxy "
        "retries other flows and, if none is left, gives the caller an "
        "ordinary failure such as 480." },
    { 436, 437,
        "Both are about the credential. 436 means the verifier could not "
        "get it: the info URI could not be dereferenced for any Identity "
        "header (timeout, HTTP error, bad URL). 437 means it got the "
        "certificate but does not support or trust it (unknown CA, bad "
        "chain, expired, wrong algorithm).",
        "Expect 436 for repository and network problems (fix the HTTPS URL "
        "and its reachability); 437 for PKI problems (fix the certificate "
        "and its CA). A verifier answers 436 when fetching fails for every "
        "Identity header and 437 when the fetched chain or algorithm is not"
        " acceptable." },
    { 436, 438,
        "436 means the verifier never got the certificate, so it could not "
        "even check the signature. 438 means it had a certificate it trusts"
        " but the signature or PASSporT is invalid.",
        "Fix 436 on the signer's certificate repository (the info URL); fix"
        " 438 in the signed content (numbers, Date, key). 436 says nothing "
        "about whether the signature would have been valid." },
    { 437, 438,
        "437 means the certificate itself is not acceptable (untrusted CA, "
        "failed chain, expiry, unsupported algorithm): the signature was "
        "not considered. 438 means the certificate was fine but the "
        "signature does not validate against the request, or the PASSporT "
        "is malformed.",
        "Fix 437 with the PKI: a trusted STI-CA, a valid chain, an ES256 "
        "key. Fix 438 with the signing process and the path: matching key, "
        "unchanged From/To/Date, correct claims." },
    { 480, 486,
        "480 says the user cannot be reached now (not registered, away, not"
        " answering). 486 says the user was reached and is busy at that "
        "device.",
        "Send 486 from a device already in a call; 480 when no device could"
        " be contacted or the user is in do-not-disturb. Services often "
        "forward both to voicemail, but only 486 tells the caller the line "
        "is busy." },
    { 480, 503,
        "480 is about the callee: the user cannot be reached now. 503 is "
        "about the server: it cannot process requests now (overload, "
        "maintenance), and the client should try another server.",
        "Send 480 when the user has no reachable device; 503 (with Retry-"
        "After) only when the server itself is unable to serve. Sending 503"
        " for an unreachable user makes clients fail over to other servers "
        "for nothing." },
    { 481, 487,
        "481 says the request refers to a dialog or transaction that does "
        "not exist at the receiver. 487 is the normal answer to an INVITE "
        "that was cancelled: the transaction existed and was terminated.",
        "A CANCEL that matches no pending INVITE is answered 481; one that "
        "matches is answered 200, and the INVITE it cancelled then ends "
        "with 487. Seeing 481 on BYE or re-INVITE means the dialog state "
        "was lost." },
    { 482, 483,
        "Both stop requests that travel in circles. 482 is detected: the "
        "server sees its own earlier routing decision in the Via headers "
        "(or a merged request). 483 is the hop limit: Max-Forwards reached "
        "zero, loop or not.",
        "Expect 482 for simple loops between proxies and 483 for loops that"
        " change the request each time (and for very long chains). Fix both"
        " by correcting the routing; look at the Via headers to see the "
        "path." },
    { 484, 485,
        "Both say the Request-URI is not enough to pick a user. 484 means "
        "it is too short (more digits are needed). 485 means it is complete"
        " but matches several users; the response may list them in Contact.",
        "Send 484 from dial plans when a number is shorter than any valid "
        "number; 485 when a name or short code maps to more than one user." },
    { 486, 600,
        "Both mean busy. 486 is a 4xx: busy at this device, so a forking "
        "proxy keeps trying other devices and the user's forwarding "
        "(voicemail) may still apply. 600 is a 6xx: busy everywhere, so all"
        " forking stops and the call fails.",
        "Devices send 486. Send 600 only from an element that knows the "
        "user's state on every endpoint. A phone that sends 600 when busy "
        "prevents calls from reaching voicemail or a second phone." },
    { 486, 603,
        "486 means the user is busy (or rejected the call at this device) "
        "and other devices may still be tried. 603 means the user declined "
        "the call, and no other endpoint should be tried.",
        "A reject button that should still let the call go to voicemail or "
        "another device must send 486; send 603 only when the user wants "
        "the call to end everywhere." },
    { 487, 603,
        "487 means the request was cancelled (the caller hung up, or a "
        "forking proxy cancelled this branch) before anyone answered. 603 "
        "means the callee actively declined.",
        "A UAS answers 487 to an INVITE it received a CANCEL for, never "
        "603. A 603 shows the callee saw the call and rejected it." },
    { 488, 606,
        "Both reject the session description. 488 is a 4xx: not acceptable "
        "at this endpoint, so other endpoints of the user may still accept "
        "it. 606 is a 6xx: not acceptable anywhere, stopping all forking.",
        "A device lacking a codec or media type sends 488 (with Warning). "
        "Send 606 only when it is known that no endpoint of the user "
        "supports what the offer requires." },
    { 500, 503,
        "500 is an unexpected failure processing this request (a fault). "
        "503 is a known, temporary inability to serve (overload, "
        "maintenance) with Retry-After, and tells the client to try another"
        " server. A proxy must not forward 503 upstream unless all "
        "alternatives would fail; it sends 500 instead.",
        "Send 503 for overload and planned unavailability (and set Retry-"
        "After); 500 for errors. Clients fail over to the next DNS SRV "
        "target on 503 and honour Retry-After." },
    { 502, 504,
        "Both come from an element that depends on another server. 502 "
        "means that server answered with something invalid; 504 means it "
        "did not answer in time.",
        "Send 502 when a downstream response cannot be used (malformed, "
        "impossible to map); 504 when a downstream server or back-end timed"
        " out. Both point at the downstream server, not at the client." },
    { 603, 607,
        "Both are the callee's own rejection and both end all forking. 603 "
        "just declines this call; 607 also says the call is unwanted (spam "
        "or nuisance), which analytics and blocking services may use to "
        "score the calling number.",
        "Send 603 when the user simply does not want to talk now; 607 when "
        "the user marks the call as unwanted. Callers receiving 607 should "
        "expect their number's reputation to suffer if it repeats." },
    { 603, 608,
        "603 is the user's decision; 608 is an intermediary's decision (a "
        "network blocking or analytics service), and the user never saw the"
        " call. 608 may carry a jCard (Call-Info purpose=jwscard) with "
        "contact details for redress.",
        "Devices send 603. Network blocking services send 608 so that "
        "callers can tell a user's decline from a network block and know "
        "where to appeal." },
    { 607, 608,
        "Both concern unwanted calls. 607 comes from the called user (or "
        "their UA) marking the call unwanted; 608 comes from an "
        "intermediary that rejected the call before it reached the user, "
        "and may provide a redress contact.",
        "Send 607 on the user's \"report spam\" or \"block\" action; 608 "
        "from analytics and blocking engines in the network. A legitimate "
        "caller should appeal a 608 through its Call-Info contact; with 607"
        " the called person made the decision." },
};

#define NPAIRS (sizeof(pairs) / sizeof(pairs[0]))

static const char *const class_names[] = {
    "Invalid",
    "Provisional",
    "Success",
    "Redirection",
    "Client Failure",
    "Server Failure",
    "Global Failure",
};

/* RFC 3261 §7.2 and §8.1.3, in one sentence per class. */
static const char *const class_effects[] = {
    "",
    "provisional: the transaction is still running and a final response "
    "will follow",
    "final and successful: the request did what was asked",
    "final: the request should be sent again to the address(es) in Contact",
    "a final failure at this server: the request may succeed if changed, or "
    "at another server, and a forking proxy keeps trying its other branches",
    "a final failure of the server on an apparently valid request: another "
    "server or a later retry may succeed",
    "a final, global failure: no other server or branch will succeed, so "
    "forking stops",
};

enum sip_code_class
sip_code_class_of(int code)
{
    if (code < SIP_CODE_MIN || code > SIP_CODE_MAX) {
        return SIP_CODE_CLASS_NONE;
    }
    return (enum sip_code_class)(code / 100);
}

const char *
sip_code_class_name(enum sip_code_class cls)
{
    if ((unsigned) cls > SIP_CODE_CLASS_GLOBAL_FAILURE) {
        return class_names[0];
    }
    return class_names[cls];
}

static int
cmp_code(const void *key, const void *elem)
{
    int k = *(const int *) key;
    int c = ((const struct sip_code_info *) elem)->code;

    return (k > c) - (k < c);
}

const char *
sip_code_class_range(enum sip_code_class cls)
{
    static const char *const ranges[] = { "", "1xx", "2xx", "3xx", "4xx", "5xx",
        "6xx" };

    if ((unsigned) cls > SIP_CODE_CLASS_GLOBAL_FAILURE) {
        return ranges[0];
    }
    return ranges[cls];
}

const char *
sip_code_class_effect(enum sip_code_class cls)
{
    if ((unsigned) cls > SIP_CODE_CLASS_GLOBAL_FAILURE) {
        return class_effects[0];
    }
    return class_effects[cls];
}

const struct sip_code_info *
sip_code_find(int code)
{
    return bsearch(&code, codes, NCODES, sizeof(codes[0]), cmp_code);
}

const struct sip_code_info *
sip_code_generic(enum sip_code_class cls)
{
    if (cls < SIP_CODE_CLASS_PROVISIONAL
        || cls > SIP_CODE_CLASS_GLOBAL_FAILURE) {
        return NULL;
    }
    return &generic[cls - 1];
}

const char *
sip_code_reason(int code)
{
    const struct sip_code_info *ci = sip_code_find(code);

    if (ci) {
        return ci->reason;
    }
    ci = sip_code_generic(sip_code_class_of(code));
    return ci ? ci->reason : "Unknown";
}

/* Every response looks its phrase up: a table indexed by code, filled
 * before main() runs, instead of a search and a strlen() each time. */
static struct slice reasons[SIP_CODE_MAX - SIP_CODE_MIN + 1];

__attribute__((constructor)) static void
reasons_fill(void)
{
    for (int c = SIP_CODE_MIN; c <= SIP_CODE_MAX; c++) {
        reasons[c - SIP_CODE_MIN] = slice_cstr(sip_code_reason(c));
    }
}

struct slice
sip_code_reason_slice(int code)
{
    if (code < SIP_CODE_MIN || code > SIP_CODE_MAX) {
        return SLICE_LIT("Unknown");
    }
    return reasons[code - SIP_CODE_MIN];
}

size_t
sip_code_count(void)
{
    return NCODES;
}

const struct sip_code_info *
sip_code_at(size_t i)
{
    return i < NCODES ? &codes[i] : NULL;
}

size_t
sip_code_nearest(int code, int *out, size_t max)
{
    size_t n = 0;
    size_t lo, hi;

    /* Merge outwards from the insertion point: the table is sorted. */
    for (hi = 0; hi < NCODES && codes[hi].code < code; hi++) {
    }
    lo = hi;
    while (n < max && (lo > 0 || hi < NCODES)) {
        long dl = lo > 0 ? (long) code - codes[lo - 1].code : -1;
        long dh = hi < NCODES ? (long) codes[hi].code - code : -1;

        if (dh < 0 || (dl >= 0 && dl <= dh)) {
            out[n++] = codes[--lo].code;
        } else {
            out[n++] = codes[hi++].code;
        }
    }
    return n;
}

const struct sip_code_pair *
sip_code_pair_find(int a, int b)
{
    for (size_t i = 0; i < NPAIRS; i++) {
        if ((pairs[i].a == a && pairs[i].b == b)
            || (pairs[i].a == b && pairs[i].b == a)) {
            return &pairs[i];
        }
    }
    return NULL;
}

size_t
sip_code_pair_count(void)
{
    return NPAIRS;
}

const struct sip_code_pair *
sip_code_pair_at(size_t i)
{
    return i < NPAIRS ? &pairs[i] : NULL;
}

size_t
sip_code_sentence_len(const char *text)
{
    const char *p = text;

    /* A sentence ends at ". " before a capital or a parenthesis, except
     * after "e.g." and "i.e.", the only abbreviations the texts use. */
    while ((p = strstr(p, ". ")) != NULL) {
        bool abbrev = p - text >= 3
            && (strncmp(p - 3, "e.g", 3) == 0 || strncmp(p - 3, "i.e", 3) == 0);

        if (!abbrev && (isupper((unsigned char) p[2]) || p[2] == '(')) {
            return (size_t) (p - text) + 1;
        }
        p += 2;
    }
    return strlen(text);
}
