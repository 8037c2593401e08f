# metafor's results for the cases of tests/metafor.rs: published datasets
# from metadat, every measure, every tau^2 estimator, both tests.
# Prints one block per case:
#   case <name> <measure> <method> <test>
#   study <data...>        (binary: ai n1 ci n2; continuous: m1 sd1 n1 m2 sd2 n2; GEN: yi vi)
#   es <yi> <vi>           (per study, NA when left out)
#   rma <estimate> <se> <stat> <p> <ci.lb> <ci.ub> <tau2> <I2> <H2> <QE> <QEp> <pi.lb> <pi.ub> <k>
suppressMessages(library(metafor))
options(warn = -1)
g <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
ctl <- list(threshold = 1e-12, maxiter = 1000, tol = 1e-12, tau2.max = 1e8)

emit <- function(name, measure, method, test, data, es) {
  cat("case", name, measure, method, test, "\n")
  for (i in seq_len(nrow(data))) cat("study", g(unlist(data[i, ])), "\n")
  for (i in seq_len(nrow(es))) cat("es", g(es$yi[i]), g(es$vi[i]), "\n")
  m <- if (method == "FE") "EE" else method
  res <- rma(yi, vi, data = es, method = m, test = test, control = ctl)
  p <- predict(res)
  pi <- if (is.null(p$pi.lb)) c(p$ci.lb, p$ci.ub) else c(p$pi.lb, p$pi.ub)
  cat("rma", g(c(res$b[1], res$se, res$zval, res$pval, res$ci.lb, res$ci.ub,
                 res$tau2, res$I2, res$H2, res$QE, res$QEp, pi, res$k)), "\n")
}

methods <- c("FE", "DL", "HE", "SJ", "PM", "ML", "REML")
binary <- function(name, d, measures, ms = methods, tests = c("z", "knha")) {
  data <- data.frame(ai = d$ai, n1 = d$n1i, ci = d$ci, n2 = d$n2i)
  for (measure in measures) {
    es <- escalc(measure, ai = ai, n1i = n1, ci = ci, n2i = n2, data = data)
    for (method in ms) for (test in tests) emit(name, measure, method, test, data, es)
  }
}
continuous <- function(name, d, measures, ms = methods, tests = c("z", "knha")) {
  data <- data.frame(m1 = d$m1i, sd1 = d$sd1i, n1 = d$n1i, m2 = d$m2i, sd2 = d$sd2i, n2 = d$n2i)
  for (measure in measures) {
    es <- escalc(measure, m1i = m1, sd1i = sd1, n1i = n1, m2i = m2, sd2i = sd2, n2i = n2, data = data)
    for (method in ms) for (test in tests) emit(name, measure, method, test, data, es)
  }
}

bcg <- with(dat.bcg, data.frame(ai = tpos, n1i = tpos + tneg, ci = cpos, n2i = cpos + cneg))
binary("bcg", bcg, c("OR", "RR", "RD"))
# Zero cells (and the 1/2 added to them).
binary("nielweise2007", dat.nielweise2007, c("OR", "RR", "RD"))
binary("li2007", dat.li2007, c("OR", "RR"))
# tau^2 estimated as 0.
binary("hine1989", dat.hine1989, c("OR", "RD"))
# k = 2.
binary("bcg-k2", bcg[1:2, ], c("OR", "RR"))
continuous("normand1999", dat.normand1999, c("MD", "SMD"))
continuous("curtis1998", dat.curtis1998, c("SMD", "MD"), c("DL", "REML", "PM"), "z")
# A missing value: the row is left out.
nm <- dat.normand1999
nm$sd1i[3] <- NA
continuous("normand1999-missing", nm, c("MD"), c("REML", "DL"), "z")
# Effect sizes given with their variances.
gen <- data.frame(yi = dat.bangertdrowns2004$yi, vi = dat.bangertdrowns2004$vi)
for (method in methods) for (test in c("z", "knha")) emit("bangertdrowns2004", "GEN", method, test, gen, gen)
