library("dplyr")

transform <- function(df_1, ...) {
    # Variance by source system, for the CFO one-pager.
    df_1 %>%
        group_by(source) %>%
        summarise(
            accounts = n(),
            breaks = sum(status == "break"),
            abs_difference = sum(abs(difference), na.rm = TRUE)
        ) %>%
        arrange(desc(abs_difference))
}
